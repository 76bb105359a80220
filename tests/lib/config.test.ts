import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.ts';

describe('loadConfig', () => {
  it('reads the settings, with defaults for the optional ones', () => {
    expect(loadConfig({ TABLE_NAME: 'sessions' })).toEqual({
      tableName: 'sessions',
      inactiveDays: 30,
      dynamodbEndpoint: undefined,
      ownerClaim: 'sub',
      activityShards: 32,
      activityBucketMs: 3_600_000,
      dynamodb: { requestTimeoutMs: undefined, maxAttempts: 3 },
    });
    expect(
      loadConfig({
        TABLE_NAME: 't',
        INACTIVE_DAYS: '7',
        DYNAMODB_ENDPOINT: 'http://localhost:8000',
        OWNER_CLAIM: 'uid',
        ACTIVITY_SHARDS: '64',
        ACTIVITY_BUCKET: '15m',
        DYNAMODB_REQUEST_TIMEOUT_MS: '1200',
        DYNAMODB_MAX_ATTEMPTS: '2',
      }),
    ).toEqual({
      tableName: 't',
      inactiveDays: 7,
      dynamodbEndpoint: 'http://localhost:8000',
      ownerClaim: 'uid',
      activityShards: 64,
      activityBucketMs: 15 * 60_000,
      dynamodb: { requestTimeoutMs: 1200, maxAttempts: 2 },
    });
  });

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
    ['a missing TABLE_NAME', {}, /TABLE_NAME/],
    ['an INACTIVE_DAYS that is not a number', { TABLE_NAME: 't', INACTIVE_DAYS: 'abc' }, /INACTIVE_DAYS/],
    ['an INACTIVE_DAYS of 0', { TABLE_NAME: 't', INACTIVE_DAYS: '0' }, /INACTIVE_DAYS/],
    [
      'a DYNAMODB_ENDPOINT that is not a URL',
      { TABLE_NAME: 't', DYNAMODB_ENDPOINT: 'localhost 8000' },
      /DYNAMODB_ENDPOINT/,
    ],
    ['an ACTIVITY_SHARDS of 0', { TABLE_NAME: 't', ACTIVITY_SHARDS: '0' }, /ACTIVITY_SHARDS/],
    ['an ACTIVITY_SHARDS over the ceiling', { TABLE_NAME: 't', ACTIVITY_SHARDS: '257' }, /ACTIVITY_SHARDS/],
    ['an ACTIVITY_SHARDS that is not whole', { TABLE_NAME: 't', ACTIVITY_SHARDS: '16.5' }, /ACTIVITY_SHARDS/],
    ['an ACTIVITY_BUCKET of 0', { TABLE_NAME: 't', ACTIVITY_BUCKET: '0m' }, /ACTIVITY_BUCKET/],
    ['an ACTIVITY_BUCKET over a day', { TABLE_NAME: 't', ACTIVITY_BUCKET: '25h' }, /ACTIVITY_BUCKET/],
    ['an ACTIVITY_BUCKET in seconds', { TABLE_NAME: 't', ACTIVITY_BUCKET: '90s' }, /ACTIVITY_BUCKET/],
    [
      'a DYNAMODB_MAX_ATTEMPTS of 0',
      { TABLE_NAME: 't', DYNAMODB_MAX_ATTEMPTS: '0' },
      /DYNAMODB_MAX_ATTEMPTS/,
    ],
    [
      'a DYNAMODB_REQUEST_TIMEOUT_MS of 10 ms',
      { TABLE_NAME: 't', DYNAMODB_REQUEST_TIMEOUT_MS: '10' },
      /DYNAMODB_REQUEST_TIMEOUT_MS/,
    ],
  ])('fails at load on %s, naming the variable', (_name, env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });
});
