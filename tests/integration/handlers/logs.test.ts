/**
 * The logs are structured JSON with a request id on every line, and never carry booking PII (name,
 * phone, email) or the bearer token, on any path: success, rejection, conflict or failure. The same
 * holds for the metrics (EMF documents on stdout), whose only dimensions are the service and the
 * operation, never the user.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localToken } from '../../../lib/local/token.ts';
import { uniqueUserId } from '../../support/dynamo.ts';
import { loadFunctions } from '../../support/functions.ts';
import { httpEvent, lambdaContext } from '../../support/lambda-events.ts';
import { type CapturedOutput, captureOutput } from '../../support/output-capture.ts';

process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';

const PII = { name: 'Ada Lovelace', phone: '+447700900999', email: 'ada.lovelace@example.com' };

describe('logs', () => {
  let output: CapturedOutput;
  let lines: string[] = [];
  beforeAll(() => {
    output = captureOutput();
    lines = output.stdout;
  });
  afterAll(() => output.restore());

  it('contain no booking name, phone or email, nor the bearer token', async () => {
    const handlers = await loadFunctions();
    const userId = uniqueUserId();
    const token = localToken(userId);
    const headers = { authorization: `Bearer ${token}` };
    const booking = { service: 'Haircut', ...PII };

    await handlers['create-or-get'](httpEvent('PUT', userId, { headers }), lambdaContext());
    const ok = await handlers.update(
      httpEvent('PATCH', userId, { headers, json: { booking } }),
      lambdaContext(),
    );
    const conflict = await handlers.update(
      httpEvent('PATCH', userId, { headers: { ...headers, 'if-match': '"1"' }, json: { booking } }),
      lambdaContext(),
    );
    const invalid = await handlers.update(
      httpEvent('PATCH', userId, {
        headers,
        json: { booking: { ...PII, email: `not-an-email ${PII.email}` } },
      }),
      lambdaContext(),
    );
    const forbidden = await handlers['get-session'](
      httpEvent('GET', userId, { headers, sub: 'someone-else' }),
      lambdaContext(),
    );
    const invoked = await handlers.update({ userId, booking: { ...PII, partySize: 99 } }, lambdaContext());
    await handlers.clear(httpEvent('POST', userId, { headers }), lambdaContext());

    expect(
      [ok, conflict, invalid, forbidden].map((response) => (response as { statusCode: number }).statusCode),
    ).toEqual([200, 412, 400, 403]);
    expect(invoked).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    expect(lines.length).toBeGreaterThan(0);
    const all = lines.join('\n');
    for (const secret of [...Object.values(PII), token, token.split('.')[1] as string, userId]) {
      expect(all).not.toContain(secret);
    }
  });

  it('include one metrics document per invocation that counts something, with no user in any dimension', () => {
    const documents = lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((entry) => typeof entry._aws === 'object');
    const directives = documents.flatMap(
      (entry) => (entry._aws as { CloudWatchMetrics: { Dimensions: string[][] }[] }).CloudWatchMetrics,
    );

    // The created session, the conflict and the two validation failures; the plain 200s and the 403
    // count nothing and write no document.
    expect(documents).toHaveLength(4);
    for (const directive of directives) expect(directive.Dimensions).toEqual([['service', 'operation']]);
    expect(documents.map((entry) => entry.operation)).toEqual(['createOrGet', 'update', 'update', 'update']);
  });

  it('are JSON lines, each with the request id (metrics documents too)', () => {
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      const entry = JSON.parse(line);
      const shape = typeof entry._aws === 'object' ? {} : { level: expect.any(String) };
      expect(entry).toMatchObject({ ...shape, function_request_id: expect.any(String) });
    }
  });
});
