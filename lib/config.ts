/** Settings read once from the environment, so a misconfigured function fails at cold start. */
export interface Config {
  tableName: string;
  inactiveDays: number;
  /** Set only to talk to a local DynamoDB (the embedded one, or another); unset on AWS. */
  dynamodbEndpoint: string | undefined;
  /** The JWT claim that must equal the `{userId}` of an HTTP request. */
  ownerClaim: string;
  /** Deletes the sweep keeps in flight at once (SWEEP_CONCURRENCY). */
  sweepConcurrency: number;
  /** CloudWatch namespace of the EMF metrics (POWERTOOLS_METRICS_NAMESPACE). */
  metricsNamespace: string;
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

function endpointFrom(env: NodeJS.ProcessEnv): string | undefined {
  const endpoint = env.DYNAMODB_ENDPOINT;
  if (endpoint === undefined || endpoint === '') return undefined;
  if (!URL.canParse(endpoint) || !/^https?:$/.test(new URL(endpoint).protocol)) {
    throw new Error(`DYNAMODB_ENDPOINT must be an http(s) URL, got "${endpoint}"`);
  }
  return endpoint;
}

export const DEFAULT_SWEEP_CONCURRENCY = 16;

function sweepConcurrencyFrom(env: NodeJS.ProcessEnv): number {
  const raw = env.SWEEP_CONCURRENCY;
  if (raw === undefined || raw === '') return DEFAULT_SWEEP_CONCURRENCY;
  const concurrency = Number(raw);
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new Error(`SWEEP_CONCURRENCY must be a whole number of at least 1, got "${raw}"`);
  }
  return concurrency;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    tableName: requiredEnv('TABLE_NAME', env),
    inactiveDays: inactiveDaysFrom(env),
    dynamodbEndpoint: endpointFrom(env),
    ownerClaim: env.OWNER_CLAIM || 'sub',
    sweepConcurrency: sweepConcurrencyFrom(env),
    metricsNamespace: env.POWERTOOLS_METRICS_NAMESPACE || 'session-service',
  };
}
