import { describe, expect, it } from 'vitest';
import { envInt, envSetting, loadConfig, loadLogIdKey, namedRegion, requiredEnv } from '../../lib/config.ts';
import { DEVELOPMENT_LOG_ID_KEY } from '../../lib/log-id.ts';

describe('loadConfig', () => {
  it('reads the settings, with defaults for the optional ones', () => {
    expect(loadConfig({ TABLE_NAME: 'sessions' })).toEqual({
      tableName: 'sessions',
      inactiveDays: 30,
      dynamodbEndpoint: undefined,
      placeholderCredentials: false,
      region: 'us-east-1',
      ownerClaim: 'sub',
      sweepConcurrency: 16,
      serviceName: 'session-service',
      metricsNamespace: 'session-service',
      activityShards: 16,
      activityBucketMs: 3_600_000,
      dynamodb: { requestTimeoutMs: undefined, maxAttempts: 3 },
      eventBusName: undefined,
      eventsIncludeBooking: false,
    });
  });

  it('reads every variable when set', () => {
    expect(
      loadConfig({
        TABLE_NAME: 't',
        INACTIVE_DAYS: '7',
        DYNAMODB_ENDPOINT: 'http://localhost:8000',
        AWS_REGION: 'eu-west-1',
        OWNER_CLAIM: 'uid',
        POWERTOOLS_SERVICE_NAME: 'sessions-eu',
        POWERTOOLS_METRICS_NAMESPACE: 'Booking/Sessions',
        ACTIVITY_SHARDS: '64',
        ACTIVITY_BUCKET: '15m',
        DYNAMODB_REQUEST_TIMEOUT_MS: '1200',
        DYNAMODB_MAX_ATTEMPTS: '2',
        SWEEP_CONCURRENCY: '4',
        EVENT_BUS_NAME: 'session-service-prod',
        EVENTS_INCLUDE_BOOKING: 'true',
      }),
    ).toEqual({
      tableName: 't',
      inactiveDays: 7,
      dynamodbEndpoint: 'http://localhost:8000',
      placeholderCredentials: true,
      region: 'eu-west-1',
      ownerClaim: 'uid',
      sweepConcurrency: 4,
      serviceName: 'sessions-eu',
      metricsNamespace: 'Booking/Sessions',
      activityShards: 64,
      activityBucketMs: 15 * 60_000,
      dynamodb: { requestTimeoutMs: 1200, maxAttempts: 2 },
      eventBusName: 'session-service-prod',
      eventsIncludeBooking: true,
    });
  });

  it.each([
    ['no endpoint', {}, false],
    ['a local endpoint and no credentials', { DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000' }, true],
    [
      'a local endpoint and credentials in the environment',
      { DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000', AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE' },
      false,
    ],
  ])('signs with placeholder credentials only on %s', (_name, env, expected) => {
    expect(loadConfig({ TABLE_NAME: 't', ...env }).placeholderCredentials).toBe(expected);
  });

  it.each([
    ['TABLE_NAME', ''],
    ['INACTIVE_DAYS', ''],
    ['DYNAMODB_ENDPOINT', ''],
    ['AWS_REGION', ''],
    ['OWNER_CLAIM', ''],
    ['POWERTOOLS_SERVICE_NAME', ''],
    ['POWERTOOLS_METRICS_NAMESPACE', ''],
    ['EVENT_BUS_NAME', ''],
    ['EVENTS_INCLUDE_BOOKING', ''],
  ])('treats an empty %s as unset', (name, value) => {
    const env = { TABLE_NAME: 't', [name]: value };
    if (name === 'TABLE_NAME') expect(() => loadConfig(env)).toThrow(/TABLE_NAME/);
    else expect(loadConfig(env)).toEqual(loadConfig({ TABLE_NAME: 't' }));
  });

  it.each([
    ['a missing TABLE_NAME', {}, 'TABLE_NAME'],
    ['an INACTIVE_DAYS that is not a number', { INACTIVE_DAYS: 'abc' }, 'INACTIVE_DAYS'],
    ['an INACTIVE_DAYS of 0', { INACTIVE_DAYS: '0' }, 'INACTIVE_DAYS'],
    ['an INACTIVE_DAYS over ten years', { INACTIVE_DAYS: '3651' }, 'INACTIVE_DAYS'],
    ['a fractional INACTIVE_DAYS', { INACTIVE_DAYS: '1.5' }, 'INACTIVE_DAYS'],
    ['a DYNAMODB_ENDPOINT that is not a URL', { DYNAMODB_ENDPOINT: 'localhost 8000' }, 'DYNAMODB_ENDPOINT'],
    [
      'a DYNAMODB_ENDPOINT that is not http(s)',
      { DYNAMODB_ENDPOINT: 'ftp://localhost' },
      'DYNAMODB_ENDPOINT',
    ],
    ['an AWS_REGION that is not a region', { AWS_REGION: 'Ireland' }, 'AWS_REGION'],
    [
      'a POWERTOOLS_SERVICE_NAME with spaces',
      { POWERTOOLS_SERVICE_NAME: 'my service' },
      'POWERTOOLS_SERVICE_NAME',
    ],
    [
      'a POWERTOOLS_METRICS_NAMESPACE over 255 characters',
      { POWERTOOLS_METRICS_NAMESPACE: 'n'.repeat(256) },
      'POWERTOOLS_METRICS_NAMESPACE',
    ],
    [
      'an EVENT_BUS_NAME that is an ARN',
      { EVENT_BUS_NAME: 'arn:aws:events:eu-west-1:1:event-bus/x' },
      'EVENT_BUS_NAME',
    ],
    [
      'an EVENTS_INCLUDE_BOOKING that is not true or false',
      { EVENTS_INCLUDE_BOOKING: 'yes' },
      'EVENTS_INCLUDE_BOOKING',
    ],
  ])('fails at load on %s, naming the variable', (_name, env, variable) => {
    const table = variable === 'TABLE_NAME' ? {} : { TABLE_NAME: 't' };
    expect(() => loadConfig({ ...table, ...env })).toThrow(variable);
  });
});

describe('loadLogIdKey', () => {
  it("reads the stage's key", () => {
    expect(loadLogIdKey({ LOG_ID_KEY: 'k'.repeat(32) })).toBe('k'.repeat(32));
  });

  it('takes the public development key only against a local DynamoDB, when none is set', () => {
    expect(loadLogIdKey({ DYNAMODB_ENDPOINT: 'http://localhost:8000' })).toBe(DEVELOPMENT_LOG_ID_KEY);
  });

  it.each([
    ['a missing LOG_ID_KEY on AWS', {}, 'Missing required environment variable LOG_ID_KEY'],
    [
      'a dynamic reference CloudFormation did not resolve',
      { LOG_ID_KEY: '{{resolve:secretsmanager:session-service/prod/log-id-key}}' },
      'unresolved dynamic reference',
    ],
    ['a key shorter than 32 characters', { LOG_ID_KEY: 'k'.repeat(31) }, 'at least 32 characters'],
    ['the development key on AWS', { LOG_ID_KEY: DEVELOPMENT_LOG_ID_KEY }, 'public development key'],
  ])('fails at load on %s', (_name, env, message) => {
    expect(() => loadLogIdKey(env)).toThrow(message);
  });
});

describe('requiredEnv', () => {
  it.each([
    [{ NAME: 'value' }, 'value'],
    [{ NAME: ' spaced ' }, ' spaced '],
  ])('returns the value as set', (env, expected) => {
    expect(requiredEnv('NAME', env)).toBe(expected);
  });

  it.each([[{}], [{ NAME: '' }]])(
    'throws a message naming the variable when it is missing or empty',
    (env) => {
      expect(() => requiredEnv('NAME', env)).toThrow('Missing required environment variable NAME');
    },
  );
});

describe('envInt', () => {
  const options = { fallback: 16, min: 1, max: 100 };

  it.each([
    [undefined, 16],
    ['', 16],
    ['1', 1],
    ['100', 100],
    [' 42 ', 42],
  ])('reads %j as %d', (raw, expected) => {
    expect(envInt({ N: raw }, 'N', options)).toBe(expected);
  });

  it.each(['0', '101', '-1', '2.5', '1e2', '0x10', '12ms', 'NaN', 'Infinity', '9007199254740993'])(
    'refuses %j, naming the variable and the range',
    (raw) => {
      expect(() => envInt({ N: raw }, 'N', options)).toThrow(
        `N must be a whole number from 1 to 100, got "${raw}"`,
      );
    },
  );

  it('states an open range as "at least"', () => {
    expect(() => envInt({ N: '0' }, 'N', { fallback: 1, min: 1 })).toThrow(
      'N must be a whole number of at least 1',
    );
  });
});

describe('loadConfig: the activity index and the DynamoDB client', () => {
  it.each([
    ['1h', 3_600_000],
    ['2h', 7_200_000],
    ['15m', 900_000],
    ['30', 1_800_000],
    ['24h', 86_400_000],
  ])('reads ACTIVITY_BUCKET=%s as %d ms', (raw, ms) => {
    expect(loadConfig({ TABLE_NAME: 't', ACTIVITY_BUCKET: raw }).activityBucketMs).toBe(ms);
  });

  it.each([
    ['an ACTIVITY_SHARDS of 0', { ACTIVITY_SHARDS: '0' }, /ACTIVITY_SHARDS/],
    ['an ACTIVITY_SHARDS over the ceiling', { ACTIVITY_SHARDS: '257' }, /ACTIVITY_SHARDS/],
    ['an ACTIVITY_SHARDS that is not whole', { ACTIVITY_SHARDS: '16.5' }, /ACTIVITY_SHARDS/],
    ['an ACTIVITY_BUCKET of 0', { ACTIVITY_BUCKET: '0m' }, /ACTIVITY_BUCKET/],
    ['an ACTIVITY_BUCKET over a day', { ACTIVITY_BUCKET: '25h' }, /ACTIVITY_BUCKET/],
    ['an ACTIVITY_BUCKET in seconds', { ACTIVITY_BUCKET: '90s' }, /ACTIVITY_BUCKET/],
    ['a SWEEP_CONCURRENCY of 0', { SWEEP_CONCURRENCY: '0' }, /SWEEP_CONCURRENCY/],
    ['a SWEEP_CONCURRENCY of 1.5', { SWEEP_CONCURRENCY: '1.5' }, /SWEEP_CONCURRENCY/],
    ['a SWEEP_CONCURRENCY that is not a number', { SWEEP_CONCURRENCY: 'x' }, /SWEEP_CONCURRENCY/],
    ['a DYNAMODB_MAX_ATTEMPTS of 0', { DYNAMODB_MAX_ATTEMPTS: '0' }, /DYNAMODB_MAX_ATTEMPTS/],
    [
      'a DYNAMODB_REQUEST_TIMEOUT_MS of 10 ms',
      { DYNAMODB_REQUEST_TIMEOUT_MS: '10' },
      /DYNAMODB_REQUEST_TIMEOUT_MS/,
    ],
  ])('fails at load on %s, naming the variable', (_name, env, message) => {
    expect(() => loadConfig({ TABLE_NAME: 't', ...env })).toThrow(message);
  });
});

describe('namedRegion and envSetting, for operator tools', () => {
  it.each([
    [{ AWS_REGION: 'eu-west-1' }, 'eu-west-1'],
    [{ AWS_DEFAULT_REGION: 'eu-central-1' }, 'eu-central-1'],
    [{ AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'us-west-2' }, 'eu-west-1'],
    [{}, undefined],
    [{ AWS_REGION: '' }, undefined],
  ])('reads the region of %o as %s, never a default', (env, region) => {
    expect(namedRegion(env)).toBe(region);
  });

  it('reads one setting, or undefined when unset or empty', () => {
    expect(envSetting('TABLE_NAME', { TABLE_NAME: 't' })).toBe('t');
    expect(envSetting('TABLE_NAME', { TABLE_NAME: '' })).toBeUndefined();
    expect(envSetting('TABLE_NAME', {})).toBeUndefined();
  });
});
