import { describe, expect, it } from 'vitest';
import { LOG_ID_CHARS, logIdOf } from '../../lib/log-id.ts';

const KEY = 'a-stage-key-of-at-least-thirty-two-chars';

describe('logIdOf', () => {
  it('is the HMAC-SHA256 of the user id under the key, truncated to 20 hex characters', () => {
    // openssl: printf 'wa:+447700900123' | openssl dgst -sha256 -hmac 'a-stage-key-of-at-least-thirty-two-chars'
    expect(logIdOf('wa:+447700900123', KEY)).toBe('37f5213404441f3f90a7');
    expect(logIdOf('wa:+447700900123', KEY)).toHaveLength(LOG_ID_CHARS);
  });

  it('differs by user and by key, and never contains the id', () => {
    const id = 'wa:+447700900123';
    expect(logIdOf(id, KEY)).not.toBe(logIdOf('wa:+447700900124', KEY));
    expect(logIdOf(id, KEY)).not.toBe(logIdOf(id, `${KEY}-other`));
    expect(logIdOf(id, KEY)).not.toContain('447700900123');
  });
});
