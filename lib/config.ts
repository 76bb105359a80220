import { DEFAULT_ACTIVITY_BUCKET_MS, DEFAULT_ACTIVITY_SHARDS, MAX_ACTIVITY_SHARDS } from './shard.ts';

/** Settings read once from the environment, so a misconfigured function fails at cold start. */
export interface Config {
  tableName: string;
  inactiveDays: number;
  /** Set only to talk to a local DynamoDB (the embedded one, or another); unset on AWS. */
  dynamodbEndpoint: string | undefined;
  /** The JWT claim that must equal the `{userId}` of an HTTP request. */
  ownerClaim: string;
  /** Shards of the `byUpdatedAt` index that writes use now; may change between deploys. */
  activityShards: number;
  /** Length of an activity bucket: the grain of the index's sort key. */
  activityBucketMs: number;
  /**
   * Time budget of one DynamoDB request attempt (unset: the client's default for where it runs, 1 s on
   * AWS), and attempts per request.
   */
  dynamodb: { requestTimeoutMs: number | undefined; maxAttempts: number };
}

export const DEFAULT_INACTIVE_DAYS = 30;

export function requiredEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value === '') {
    throw new Error(`Missing required environment variable ${name}`);
  }
  return value;
}

export function inactiveDaysFrom(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.INACTIVE_DAYS;
  if (raw === undefined || raw === '') return DEFAULT_INACTIVE_DAYS;
  const days = Number(raw);
  if (!Number.isInteger(days) || days < 1 || days > 3650) {
    throw new Error(`INACTIVE_DAYS must be a whole number from 1 to 3650, got "${raw}"`);
  }
  return days;
}

/** A whole number from `min` to `max` in `env[name]`, or `fallback` when unset. */
function wholeNumberFrom(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || value < min || value > max) {
    throw new Error(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

const MAX_ACTIVITY_BUCKET_MS = 24 * 60 * 60 * 1000;

/**
 * ACTIVITY_BUCKET: `<n>m`, `<n>h` or a bare number of minutes, from 1 minute to 24 hours. Longer
 * buckets move index entries less often; the sweep finds an expired session at most one bucket late.
 */
export function activityBucketMsFrom(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.ACTIVITY_BUCKET;
  if (raw === undefined || raw === '') return DEFAULT_ACTIVITY_BUCKET_MS;
  const match = /^\s*(\d+)\s*(m|h)?\s*$/.exec(raw);
  const ms = match ? Number(match[1]) * (match[2] === 'h' ? 3_600_000 : 60_000) : Number.NaN;
  if (!(ms >= 60_000 && ms <= MAX_ACTIVITY_BUCKET_MS)) {
    throw new Error(`ACTIVITY_BUCKET must be from 1m to 24h (e.g. "1h", "15m" or minutes), got "${raw}"`);
  }
  return ms;
}

export function activityShardsFrom(env: NodeJS.ProcessEnv = process.env): number {
  return wholeNumberFrom(env, 'ACTIVITY_SHARDS', DEFAULT_ACTIVITY_SHARDS, 1, MAX_ACTIVITY_SHARDS);
}

/**
 * About 1 s per attempt on AWS: DynamoDB answers in milliseconds, so an attempt that takes longer is
 * better retried than waited for, and a throttled table does not hold Lambda environments for seconds.
 */
export const DEFAULT_DYNAMODB_REQUEST_TIMEOUT_MS = 1_000;
export const DEFAULT_DYNAMODB_MAX_ATTEMPTS = 3;

function endpointFrom(env: NodeJS.ProcessEnv): string | undefined {
  const endpoint = env.DYNAMODB_ENDPOINT;
  if (endpoint === undefined || endpoint === '') return undefined;
  if (!URL.canParse(endpoint) || !/^https?:$/.test(new URL(endpoint).protocol)) {
    throw new Error(`DYNAMODB_ENDPOINT must be an http(s) URL, got "${endpoint}"`);
  }
  return endpoint;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    tableName: requiredEnv('TABLE_NAME', env),
    inactiveDays: inactiveDaysFrom(env),
    dynamodbEndpoint: endpointFrom(env),
    ownerClaim: env.OWNER_CLAIM || 'sub',
    activityShards: activityShardsFrom(env),
    activityBucketMs: activityBucketMsFrom(env),
    dynamodb: {
      requestTimeoutMs: env.DYNAMODB_REQUEST_TIMEOUT_MS
        ? wholeNumberFrom(
            env,
            'DYNAMODB_REQUEST_TIMEOUT_MS',
            DEFAULT_DYNAMODB_REQUEST_TIMEOUT_MS,
            100,
            10_000,
          )
        : undefined,
      maxAttempts: wholeNumberFrom(env, 'DYNAMODB_MAX_ATTEMPTS', DEFAULT_DYNAMODB_MAX_ATTEMPTS, 1, 10),
    },
  };
}
