/**
 * Validates real responses against docs/openapi.yaml, so the document cannot drift from the API: the
 * status must be documented for the operation, the body must match its schema (a `oneOf` must match
 * exactly one branch), and every header the document marks required must be present and match.
 */
import { readFileSync } from 'node:fs';
import type { ErrorObject } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';

type Node = Record<string, unknown>;

/** Response headers as a caller sees them: a fetch `Headers`, or a Lambda result's header map. */
export type ResponseHeaders = Headers | Record<string, unknown>;

export interface OpenApiChecker {
  /**
   * Throws unless `status` is documented for the route and method, `body` matches its schema, and
   * every documented header that is required is in `headers` with a value its schema accepts.
   */
  assertMatches(
    route: string,
    method: string,
    status: number,
    body: unknown,
    headers?: ResponseHeaders,
  ): void;
}

function pointer(...segments: string[]): string {
  return segments.map((segment) => segment.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');
}

function lowerCased(headers: ResponseHeaders): Map<string, string> {
  const entries = headers instanceof Headers ? [...headers.entries()] : Object.entries(headers);
  return new Map(entries.map(([name, value]) => [name.toLowerCase(), String(value)]));
}

/** Ajv reports a `oneOf` that more than one branch matched with the indexes of those branches. */
function ambiguousOneOf(errors: ErrorObject[] | null | undefined): ErrorObject | undefined {
  return errors?.find(
    (error) =>
      error.keyword === 'oneOf' &&
      Array.isArray((error.params as { passingSchemas?: unknown }).passingSchemas),
  );
}

/** A checker for one OpenAPI 3.1 document. */
export function openApiChecker(document: Node): OpenApiChecker {
  const id = `openapi-${Math.random().toString(36).slice(2)}.json`;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addFormat('email', /^[^@\s]+@[^@\s]+\.[^@\s]+$/);
  ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
  ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
  ajv.addSchema({ ...document, $id: id });

  const refPointer = (ref: string) => ref.replace(/^#\//, '');
  const resolve = (value: Node): Node => {
    if (typeof value.$ref !== 'string') return value;
    const found = refPointer(value.$ref)
      .split('/')
      .reduce((node: Node, key) => node[key.replaceAll('~1', '/').replaceAll('~0', '~')] as Node, document);
    return resolve(found);
  };
  const schemaAt = (location: string) => {
    const validate = ajv.getSchema(`${id}#/${location}`);
    if (!validate) throw new Error(`docs/openapi.yaml has no schema at ${location}`);
    return validate;
  };

  function checkBody(where: string, location: string, body: unknown): void {
    const validate = schemaAt(location);
    if (validate(body)) return;
    const ambiguous = ambiguousOneOf(validate.errors);
    if (ambiguous) {
      const branches = (ambiguous.params as { passingSchemas: number[] }).passingSchemas;
      throw new Error(
        `${where}: the body matches ${branches.length} branches (${branches.join(', ')}) of the oneOf at ` +
          `${ambiguous.schemaPath}, where exactly one must match: ${JSON.stringify(body)}`,
      );
    }
    throw new Error(`${where} does not match docs/openapi.yaml: ${ajv.errorsText(validate.errors)}`);
  }

  function checkHeaders(where: string, response: Node, responseLocation: string, headers: ResponseHeaders) {
    const sent = lowerCased(headers);
    const documented = (response.headers ?? {}) as Record<string, Node>;
    for (const [name, declared] of Object.entries(documented)) {
      const header = resolve(declared);
      const value = sent.get(name.toLowerCase());
      if (value === undefined) {
        if (header.required === true) throw new Error(`${where}: the required header ${name} is missing`);
        continue;
      }
      if (header.schema === undefined) continue;
      const location =
        typeof declared.$ref === 'string'
          ? `${refPointer(declared.$ref)}/schema`
          : `${responseLocation}/headers/${pointer(name)}/schema`;
      const validate = schemaAt(location);
      if (!validate(value)) {
        throw new Error(
          `${where}: header ${name}: ${JSON.stringify(value)} ${ajv.errorsText(validate.errors)}`,
        );
      }
    }
  }

  return {
    assertMatches(route, method, status, body, headers) {
      const where = `${method} ${route} ${status}`;
      const operation = (document.paths as Record<string, Record<string, Node>> | undefined)?.[route]?.[
        method.toLowerCase()
      ];
      if (!operation) throw new Error(`${method} ${route} is not in docs/openapi.yaml`);
      const declared = (operation.responses as Record<string, Node> | undefined)?.[String(status)];
      if (!declared) throw new Error(`${method} ${route} does not document status ${status}`);
      const response = resolve(declared);
      const responseLocation =
        typeof declared.$ref === 'string'
          ? refPointer(declared.$ref)
          : pointer('paths', route, method.toLowerCase(), 'responses', String(status));
      if (headers !== undefined) checkHeaders(where, response, responseLocation, headers);
      if (!response.content) {
        if (body !== undefined && body !== '') throw new Error(`${where} documents no body`);
        return;
      }
      checkBody(where, `${responseLocation}/content/application~1json/schema`, body);
    },
  };
}

const serviceDocument = parse(readFileSync(new URL('../../docs/openapi.yaml', import.meta.url), 'utf8'));
const service = openApiChecker(serviceDocument);

/** {@link OpenApiChecker.assertMatches} against docs/openapi.yaml. */
export function assertMatchesOpenApi(
  route: string,
  method: string,
  status: number,
  body: unknown,
  headers?: ResponseHeaders,
): void {
  service.assertMatches(route, method, status, body, headers);
}
