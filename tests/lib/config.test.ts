import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.ts';

describe('loadConfig', () => {
  it('reads the settings, with defaults for the optional ones', () => {
    expect(loadConfig({ TABLE_NAME: 'sessions' })).toEqual({
      tableName: 'sessions',
      inactiveDays: 30,
      dynamodbEndpoint: undefined,
      ownerClaim: 'sub',
      sweepConcurrency: 16,
      metricsNamespace: 'session-service',
    });
    expect(
      loadConfig({
        TABLE_NAME: 't',
        INACTIVE_DAYS: '7',
        DYNAMODB_ENDPOINT: 'http://localhost:8000',
        OWNER_CLAIM: 'uid',
        SWEEP_CONCURRENCY: '4',
        POWERTOOLS_METRICS_NAMESPACE: 'bookings',
      }),
    ).toEqual({
      tableName: 't',
      inactiveDays: 7,
      dynamodbEndpoint: 'http://localhost:8000',
      ownerClaim: 'uid',
      sweepConcurrency: 4,
      metricsNamespace: 'bookings',
    });
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
    ['a SWEEP_CONCURRENCY of 0', { TABLE_NAME: 't', SWEEP_CONCURRENCY: '0' }, /SWEEP_CONCURRENCY/],
    ['a SWEEP_CONCURRENCY of 1.5', { TABLE_NAME: 't', SWEEP_CONCURRENCY: '1.5' }, /SWEEP_CONCURRENCY/],
    [
      'a SWEEP_CONCURRENCY that is not a number',
      { TABLE_NAME: 't', SWEEP_CONCURRENCY: 'x' },
      /SWEEP_CONCURRENCY/,
    ],
  ])('fails at load on %s, naming the variable', (_name, env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });
});
