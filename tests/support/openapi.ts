/** Validates real responses against docs/openapi.yaml, so the document cannot drift from the API. */
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';

const DOCUMENT_ID = 'openapi.json';
const document = parse(readFileSync(new URL('../../docs/openapi.yaml', import.meta.url), 'utf8'));

const ajv = new Ajv2020({ strict: false, allErrors: true });
ajv.addFormat('email', /^[^@\s]+@[^@\s]+\.[^@\s]+$/);
ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
ajv.addSchema({ ...document, $id: DOCUMENT_ID });

function pointer(...segments: string[]): string {
  return segments.map((segment) => segment.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');
}

function resolve(value: { $ref?: string }): Record<string, unknown> {
  if (!value.$ref) return value as Record<string, unknown>;
  const path = value.$ref.replace(/^#\//, '').split('/');
  return path.reduce((node: Record<string, unknown>, key) => node[key] as Record<string, unknown>, document);
}

/**
 * Throws unless `status` is documented for the route and `body` matches its schema. Returns the
 * documented response, so a test can check the documented headers too.
 */
export function assertMatchesOpenApi(route: string, method: string, status: number, body: unknown): void {
  const operation = document.paths?.[route]?.[method.toLowerCase()];
  if (!operation) throw new Error(`${method} ${route} is not in docs/openapi.yaml`);
  const response = operation.responses?.[String(status)];
  if (!response) throw new Error(`${method} ${route} does not document status ${status}`);
  const content = resolve(response).content as Record<string, unknown> | undefined;
  if (!content) {
    if (body !== undefined && body !== '') throw new Error(`${method} ${route} ${status} documents no body`);
    return;
  }
  const responseRef = response.$ref
    ? `${DOCUMENT_ID}#/${response.$ref.replace(/^#\//, '')}/content/application~1json/schema`
    : `${DOCUMENT_ID}#/${pointer('paths', route, method.toLowerCase(), 'responses', String(status))}/content/application~1json/schema`;
  const validate = ajv.getSchema(responseRef);
  if (!validate) throw new Error(`no schema at ${responseRef}`);
  if (!validate(body)) {
    throw new Error(
      `${method} ${route} ${status} does not match docs/openapi.yaml: ${ajv.errorsText(validate.errors)}`,
    );
  }
}
