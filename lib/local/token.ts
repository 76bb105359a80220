/**
 * Tokens for the local stack. serverless-offline runs with `ignoreJWTSignature`, so it checks the
 * issuer, audience, `exp`, `nbf` and `iat` but not the signature: these tokens are worthless anywhere
 * else. A claim given as undefined in `claims` is left out of the token.
 */
export const LOCAL_JWT = { issuer: 'https://issuer.local/', audience: 'session-service' } as const;

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

export function localToken(
  userId: string,
  options: { ttlSeconds?: number; claims?: Record<string, unknown> } = {},
) {
  const now = Math.floor(Date.now() / 1000);
  const header = { alg: 'HS256', typ: 'JWT' };
  const payload = {
    iss: LOCAL_JWT.issuer,
    aud: LOCAL_JWT.audience,
    sub: userId,
    iat: now,
    exp: now + (options.ttlSeconds ?? 12 * 60 * 60),
    ...options.claims,
  };
  return `${base64url(header)}.${base64url(payload)}.local-signature-not-checked`;
}

// `npm run token -- <userId>` prints a token the local stack accepts for that user.
if (import.meta.main) {
  const userId = process.argv[2];
  if (!userId) {
    console.error('usage: npm run token -- <userId>');
    process.exit(2);
  }
  console.log(localToken(userId));
}
