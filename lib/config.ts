import { DEVELOPMENT_LOG_ID_KEY, MIN_LOG_ID_KEY_CHARS } from './log-id.ts';

/**
 * The shard values the sweep covers. Every shard count in use is at most this, so the sweep finds a
 * session whatever count it was written under, with no record of past counts. A query of an empty
 * shard costs 0.5 RCU, so a full pass costs at least MAX_ACTIVITY_SHARDS / 2 RCU.
 */
export const MAX_ACTIVITY_SHARDS = 256;

/**
 * The shard count when none is configured: what the capacity model (docs/CAPACITY.md) gives for the most
 * writes a table takes under its default on-demand quota, a backlog sweep included. Each shard is one
 * index partition (about 1,000 WCU/s of index writes, 2 WCU per moved entry).
 */
export const DEFAULT_ACTIVITY_SHARDS = 16;

/** The activity bucket when none is configured: one hour. */
export const DEFAULT_ACTIVITY_BUCKET_MS = 60 * 60 * 1000;

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
  /** Shards of the `byUpdatedAt` index that writes use now; may change between deploys. */
  activityShards: number;
  /** Length of an activity bucket: the grain of the index's sort key. */
  activityBucketMs: number;
  /**
   * Time budget of one DynamoDB request attempt (unset: the client's default for where it runs, 1 s on
   * AWS), and attempts per request.
   */
  dynamodb: { requestTimeoutMs: number | undefined; maxAttempts: number };
  /** Deletes the sweep keeps in flight at once (SWEEP_CONCURRENCY). */
  sweepConcurrency: number;
  /** The EventBridge bus the events consumer publishes to (EVENT_BUS_NAME); set only on that function. */
  eventBusName: string | undefined;
  /** Whether events carry booking values, not only which fields are set (EVENTS_INCLUDE_BOOKING). */
  eventsIncludeBooking: boolean;
}

export type Env = Readonly<Record<string, string | undefined>>;

const DEFAULT_INACTIVE_DAYS = 30;
const DEFAULT_SWEEP_CONCURRENCY = 16;
const DEFAULT_SERVICE_NAME = 'session-service';
const DEFAULT_REGION = 'us-east-1';

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

const MAX_ACTIVITY_BUCKET_MS = 24 * 60 * 60 * 1000;

/**
 * ACTIVITY_BUCKET: `<n>m`, `<n>h` or a bare number of minutes, from 1 minute to 24 hours. Longer
 * buckets move index entries less often; the sweep finds an expired session at most one bucket late.
 */
function activityBucketMsFrom(env: Env = process.env): number {
  const raw = envValue(env, 'ACTIVITY_BUCKET');
  if (raw === undefined) return DEFAULT_ACTIVITY_BUCKET_MS;
  const match = /^\s*(\d+)\s*(m|h)?\s*$/.exec(raw);
  const ms = match ? Number(match[1]) * (match[2] === 'h' ? 3_600_000 : 60_000) : Number.NaN;
  if (!(ms >= 60_000 && ms <= MAX_ACTIVITY_BUCKET_MS)) {
    throw new Error(`ACTIVITY_BUCKET must be from 1m to 24h (e.g. "1h", "15m" or minutes), got "${raw}"`);
  }
  return ms;
}

/**
 * About 1 s per attempt on AWS: DynamoDB answers in milliseconds, so an attempt that takes longer is
 * better retried than waited for, and a throttled table does not hold Lambda environments for seconds.
 */
export const DEFAULT_DYNAMODB_REQUEST_TIMEOUT_MS = 1_000;
export const DEFAULT_DYNAMODB_MAX_ATTEMPTS = 3;

/** `true` or `false`; unset or empty is `fallback`. Anything else throws, so a typo cannot turn data on. */
function envBoolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = envValue(env, name);
  if (raw === undefined) return fallback;
  if (raw === 'true' || raw === 'false') return raw === 'true';
  throw new Error(`${name} must be true or false, got "${raw}"`);
}

/**
 * LOG_ID_KEY: the HMAC key of the user's pseudonym in the logs (lib/log-id.ts), the stage's secret that
 * CloudFormation resolves from Secrets Manager at deploy time. Read apart from `loadConfig`, by the
 * session functions only: the operator's tools need none. Only against a local DynamoDB (DYNAMODB_ENDPOINT)
 * may it be unset, and only there may it be the public development key.
 */
export function loadLogIdKey(env: Env = process.env): string {
  const local = endpointFrom(env) !== undefined;
  const key = envValue(env, 'LOG_ID_KEY');
  if (key === undefined) {
    if (local) return DEVELOPMENT_LOG_ID_KEY;
    throw new Error('Missing required environment variable LOG_ID_KEY');
  }
  if (key.startsWith('{{resolve:')) {
    throw new Error(
      'LOG_ID_KEY is an unresolved dynamic reference: deploy with CloudFormation, or set the key',
    );
  }
  if (key.length < MIN_LOG_ID_KEY_CHARS) {
    throw new Error(`LOG_ID_KEY must be at least ${MIN_LOG_ID_KEY_CHARS} characters`);
  }
  if (key === DEVELOPMENT_LOG_ID_KEY && !local) {
    throw new Error('LOG_ID_KEY is the public development key: set the stage its own');
  }
  return key;
}

function endpointFrom(env: Env): string | undefined {
  const endpoint = envValue(env, 'DYNAMODB_ENDPOINT');
  if (endpoint === undefined) return undefined;
  if (!URL.canParse(endpoint) || !/^https?:$/.test(new URL(endpoint).protocol)) {
    throw new Error(`DYNAMODB_ENDPOINT must be an http(s) URL, got "${endpoint}"`);
  }
  return endpoint;
}

/**
 * The region the environment names (AWS_REGION, else AWS_DEFAULT_REGION), or undefined: for an
 * operator's tool, which must not fall back to DEFAULT_REGION and act on a same-named table elsewhere.
 */
export function namedRegion(env: Env = process.env): string | undefined {
  return envValue(env, 'AWS_REGION') ?? envValue(env, 'AWS_DEFAULT_REGION');
}

/** One setting of the environment, or undefined when unset or empty: for operator tools. */
export function envSetting(name: string, env: Env = process.env): string | undefined {
  return envValue(env, name);
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
    sweepConcurrency: envInt(env, 'SWEEP_CONCURRENCY', { fallback: DEFAULT_SWEEP_CONCURRENCY, min: 1 }),
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
    activityShards: envInt(env, 'ACTIVITY_SHARDS', {
      fallback: DEFAULT_ACTIVITY_SHARDS,
      min: 1,
      max: MAX_ACTIVITY_SHARDS,
    }),
    activityBucketMs: activityBucketMsFrom(env),
    eventBusName:
      envValue(env, 'EVENT_BUS_NAME') === undefined
        ? undefined
        : envText(
            env,
            'EVENT_BUS_NAME',
            '',
            /^[\w.-]{1,256}$/,
            'an EventBridge bus name (A-Z a-z 0-9 _ . -)',
          ),
    eventsIncludeBooking: envBoolean(env, 'EVENTS_INCLUDE_BOOKING', false),
    dynamodb: {
      requestTimeoutMs:
        envValue(env, 'DYNAMODB_REQUEST_TIMEOUT_MS') === undefined
          ? undefined
          : envInt(env, 'DYNAMODB_REQUEST_TIMEOUT_MS', {
              fallback: DEFAULT_DYNAMODB_REQUEST_TIMEOUT_MS,
              min: 100,
              max: 10_000,
            }),
      maxAttempts: envInt(env, 'DYNAMODB_MAX_ATTEMPTS', {
        fallback: DEFAULT_DYNAMODB_MAX_ATTEMPTS,
        min: 1,
        max: 10,
      }),
    },
  };
}
