import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.ts';

describe('loadConfig', () => {
  it('reads the settings, with defaults for the optional ones', () => {
    expect(loadConfig({ TABLE_NAME: 'sessions' })).toEqual({
      tableName: 'sessions',
      inactiveDays: 30,
      dynamodbEndpoint: undefined,
      ownerClaim: 'sub',
      serviceName: 'session-service',
      metricsNamespace: 'session-service',
    });
    expect(
      loadConfig({
        TABLE_NAME: 't',
        INACTIVE_DAYS: '7',
        DYNAMODB_ENDPOINT: 'http://localhost:8000',
        OWNER_CLAIM: 'uid',
        POWERTOOLS_SERVICE_NAME: 'sessions',
        POWERTOOLS_METRICS_NAMESPACE: 'bookings',
      }),
    ).toEqual({
      tableName: 't',
      inactiveDays: 7,
      dynamodbEndpoint: 'http://localhost:8000',
      ownerClaim: 'uid',
      serviceName: 'sessions',
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
  ])('fails at load on %s, naming the variable', (_name, env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });
});
