/**
 * Settings read once from the environment, so a misconfigured function fails at cold start. This is the
 * only module of the service that reads `process.env`; everything else receives a `Config`.
 */
export interface Config {
  tableName: string;
  inactiveDays: number;
  /** Set only to talk to a local DynamoDB (the embedded one, or another); unset on AWS. */
  dynamodbEndpoint: string | undefined;
  /**
   * Whether the DynamoDB client signs with placeholder credentials: on a local endpoint when the
   * environment holds none, so nothing goes looking for a profile.
   */
  placeholderCredentials: boolean;
  /** The AWS region of the DynamoDB client (Lambda sets AWS_REGION). */
  region: string;
  /** The JWT claim that must equal the `{userId}` of an HTTP request. */
  ownerClaim: string;
  /** The `service` key of every log line. */
  serviceName: string;
  /** The CloudWatch namespace of the service's metrics. */
  metricsNamespace: string;
}

export type Env = Readonly<Record<string, string | undefined>>;

export const DEFAULT_INACTIVE_DAYS = 30;
export const DEFAULT_SERVICE_NAME = 'session-service';
export const DEFAULT_REGION = 'us-east-1';

/** The variable's value, or undefined when it is unset or empty (an empty value means "use the default"). */
function envValue(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

export function requiredEnv(name: string, env: Env = process.env): string {
  const value = envValue(env, name);
  if (value === undefined) throw new Error(`Missing required environment variable ${name}`);
  return value;
}

/**
 * A whole number from `min` to `max` read from `name`, or `fallback` when unset; anything else (a
 * fraction, a unit suffix, a number out of range) throws an error naming the variable.
 */
export function envInt(
  env: Env,
  name: string,
  { fallback, min, max = Number.MAX_SAFE_INTEGER }: { fallback: number; min: number; max?: number },
): number {
  const raw = envValue(env, name);
  if (raw === undefined) return fallback;
  const value = /^\s*-?\d+\s*$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`;
    throw new Error(`${name} must be a whole number ${range}, got "${raw}"`);
  }
  return value;
}

/** A value made of `pattern`'s characters; `what` describes them in the error. */
function envText(env: Env, name: string, fallback: string, pattern: RegExp, what: string): string {
  const value = envValue(env, name) ?? fallback;
  if (!pattern.test(value)) throw new Error(`${name} must be ${what}, got "${value}"`);
  return value;
}

function endpointFrom(env: Env): string | undefined {
  const endpoint = envValue(env, 'DYNAMODB_ENDPOINT');
  if (endpoint === undefined) return undefined;
  if (!URL.canParse(endpoint) || !/^https?:$/.test(new URL(endpoint).protocol)) {
    throw new Error(`DYNAMODB_ENDPOINT must be an http(s) URL, got "${endpoint}"`);
  }
  return endpoint;
}

export function loadConfig(env: Env = process.env): Config {
  const dynamodbEndpoint = endpointFrom(env);
  return {
    tableName: requiredEnv('TABLE_NAME', env),
    inactiveDays: envInt(env, 'INACTIVE_DAYS', { fallback: DEFAULT_INACTIVE_DAYS, min: 1, max: 3650 }),
    dynamodbEndpoint,
    placeholderCredentials:
      dynamodbEndpoint !== undefined && envValue(env, 'AWS_ACCESS_KEY_ID') === undefined,
    region: envText(
      env,
      'AWS_REGION',
      DEFAULT_REGION,
      /^[a-z]{2}(-[a-z]+)+-\d+$/,
      'an AWS region such as eu-west-1',
    ),
    ownerClaim: envValue(env, 'OWNER_CLAIM') ?? 'sub',
    serviceName: envText(
      env,
      'POWERTOOLS_SERVICE_NAME',
      DEFAULT_SERVICE_NAME,
      /^[\w.:/-]{1,255}$/,
      '1-255 characters from A-Z a-z 0-9 _ . : / -',
    ),
    // CloudWatch's own rule for a namespace.
    metricsNamespace: envText(
      env,
      'POWERTOOLS_METRICS_NAMESPACE',
      DEFAULT_SERVICE_NAME,
      /^[\w.#:/-]{1,255}$/,
      '1-255 characters from A-Z a-z 0-9 _ . # : / -',
    ),
  };
}
