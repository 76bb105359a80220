/**
 * Model-based test: random sequences of operations, with clock moves across the inactivity window, run
 * against the repository on DynamoDB and against a small in-memory model. They must agree at every step.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Booking, Context, SessionPatch } from '../../../lib/session/schema.ts';
import type { Session } from '../../../lib/session/session.ts';
import { DAY_MS } from '../../../lib/store/clock.ts';
import type { SessionRepository } from '../../../lib/store/session-repository.ts';
import { manualClock, repositoryFor, testDocumentClient, uniqueUserId } from '../../support/dynamo.ts';
import { propertyParameters } from '../../support/fuzz-parameters.ts';

const WINDOW_DAYS = 30;
const doc = testDocumentClient();

type ModelSession = Omit<Session, 'sessionId'> & { sessionId: string };

interface Model {
  now: number;
  sessions: Map<string, ModelSession>;
}

interface Real {
  repository: SessionRepository;
  time: ReturnType<typeof manualClock>;
  users: string[];
}

const isLive = (model: Model, session: ModelSession | undefined): session is ModelSession =>
  session !== undefined && Date.parse(session.updatedAt) >= model.now - WINDOW_DAYS * DAY_MS;

function touch(model: Model, session: ModelSession): void {
  session.updatedAt = new Date(model.now).toISOString();
  session.expiresAt = new Date(model.now + WINDOW_DAYS * DAY_MS).toISOString();
}

function merge<T extends Record<string, unknown>>(target: T, patch: Record<string, unknown>): T {
  const result: Record<string, unknown> = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = value;
  }
  return result as T;
}

async function outcome<T>(promise: Promise<T>): Promise<{ ok: T } | { code: string }> {
  try {
    return { ok: await promise };
  } catch (error) {
    return { code: (error as { code?: string }).code ?? String(error) };
  }
}

/** After every command, each user's session read back from DynamoDB equals the model's. */
async function assertSameState(model: Model, real: Real): Promise<void> {
  for (const userId of real.users) {
    const expected = model.sessions.get(userId);
    expect(await real.repository.get(userId)).toEqual(isLive(model, expected) ? expected : undefined);
  }
}

type Command = fc.AsyncCommand<Model, Real>;

function command(label: string, run: (model: Model, real: Real) => Promise<void>): Command {
  return {
    check: () => true,
    run: async (model, real) => {
      await run(model, real);
      await assertSameState(model, real);
    },
    toString: () => label,
  };
}

const createOrGet = (user: number, source: 'Website' | 'Chatbot') =>
  command(`createOrGet(${user}, ${source})`, async (model, real) => {
    const userId = real.users[user] as string;
    const { session, created } = await real.repository.createOrGet(userId, source);
    const existing = model.sessions.get(userId);
    if (isLive(model, existing)) {
      touch(model, existing);
      expect(created).toBe(false);
      expect(session).toEqual(existing);
      return;
    }
    const at = new Date(model.now).toISOString();
    const fresh: ModelSession = {
      userId,
      sessionId: session.sessionId,
      source,
      version: 1,
      createdAt: at,
      updatedAt: at,
      expiresAt: new Date(model.now + WINDOW_DAYS * DAY_MS).toISOString(),
      step: null,
      booking: {},
      context: {},
    };
    expect(created).toBe(true);
    expect(session.sessionId).not.toBe((existing as ModelSession | undefined)?.sessionId);
    expect(session).toEqual(fresh);
    model.sessions.set(userId, fresh);
  });

/**
 * update, clear and delete share their preconditions: a live session (else `whenMissing`) and, when
 * given, a matching version (else VERSION_CONFLICT). `apply` changes the model and returns the result.
 */
function conditionalWrite(
  label: string,
  user: number,
  expectedVersion: number | undefined,
  call: (real: Real, userId: string) => Promise<unknown>,
  apply: (model: Model, session: ModelSession) => unknown,
  whenMissing: { ok: unknown } | { code: string },
) {
  return command(`${label}(${user}, v=${expectedVersion})`, async (model, real) => {
    const userId = real.users[user] as string;
    const actual = await outcome(call(real, userId));
    const session = model.sessions.get(userId);
    if (!isLive(model, session)) {
      expect(actual).toEqual(whenMissing);
    } else if (expectedVersion !== undefined && expectedVersion !== session.version) {
      expect(actual).toEqual({ code: 'VERSION_CONFLICT' });
    } else {
      expect(actual).toEqual({ ok: apply(model, session) });
    }
  });
}

const update = (user: number, expectedVersion: number | undefined, patch: SessionPatch) =>
  conditionalWrite(
    `update[${JSON.stringify(patch)}]`,
    user,
    expectedVersion,
    (real, userId) => real.repository.update(userId, patch, { expectedVersion }),
    (model, session) => {
      if (patch.step !== undefined) session.step = patch.step;
      if (patch.booking) session.booking = merge<Booking>(session.booking, patch.booking);
      if (patch.context) session.context = merge<Context>(session.context, patch.context);
      session.version += 1;
      touch(model, session);
      return { ...session };
    },
    { code: 'NOT_FOUND' },
  );

const clear = (user: number, expectedVersion: number | undefined) =>
  conditionalWrite(
    'clear',
    user,
    expectedVersion,
    (real, userId) => real.repository.clear(userId, { expectedVersion }),
    (model, session) => {
      Object.assign(session, {
        step: null,
        booking: {},
        context: {},
        version: session.version + 1,
      });
      touch(model, session);
      return { ...session };
    },
    { code: 'NOT_FOUND' },
  );

const remove = (user: number, expectedVersion: number | undefined) =>
  conditionalWrite(
    'delete',
    user,
    expectedVersion,
    (real, userId) => real.repository.delete(userId, { expectedVersion }),
    (model, session) => model.sessions.delete(session.userId),
    { ok: false },
  );

const advanceClock = (ms: number) =>
  command(`advance(${ms}ms)`, async (model, real) => {
    model.now += ms;
    real.time.advanceMs(ms);
  });

const USERS = 3;
const user = fc.nat(USERS - 1);
const expectedVersion = fc.option(fc.integer({ min: 1, max: 4 }), {
  nil: undefined,
});
const scalar = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.integer(),
  fc.double({ min: -1e6, max: 1e6, noNaN: true }).filter((n) => n === 0 || Math.abs(n) >= 1e-130),
  fc.boolean(),
);
const contextValue = fc.oneof(
  scalar,
  fc.array(fc.oneof(scalar, fc.constant(null)), { maxLength: 3 }),
  fc.dictionary(fc.constantFrom('x', 'y', 'z z'), scalar, { maxKeys: 2 }),
);
const patch: fc.Arbitrary<SessionPatch> = fc
  .record(
    {
      step: fc.constantFrom('greet', 'pick_time', null),
      booking: fc.record(
        {
          service: fc.constantFrom('Haircut', 'Colour', null),
          partySize: fc.option(fc.integer({ min: 1, max: 50 }), { nil: null }),
          date: fc.constantFrom('2026-12-03', '2028-02-29', null),
        },
        { requiredKeys: [] },
      ),
      context: fc.dictionary(
        fc.constantFrom('language', 'lastIntent', 'a.b'),
        fc.option(contextValue, { nil: null }),
        {
          maxKeys: 2,
        },
      ),
    },
    { requiredKeys: [] },
  )
  .filter((candidate) => Object.keys(candidate).length > 0)
  .map((candidate) => JSON.parse(JSON.stringify(candidate)) as SessionPatch);

const commands = [
  fc.tuple(user, fc.constantFrom('Website' as const, 'Chatbot' as const)).map(([u, s]) => createOrGet(u, s)),
  fc.tuple(user, expectedVersion, patch).map(([u, v, p]) => update(u, v, p)),
  fc.tuple(user, expectedVersion).map(([u, v]) => clear(u, v)),
  fc.tuple(user, expectedVersion).map(([u, v]) => remove(u, v)),
  fc
    .oneof(
      fc.integer({ min: 1, max: 60_000 }),
      fc.integer({ min: 1, max: 40 }).map((days) => days * DAY_MS),
      fc.constantFrom(WINDOW_DAYS * DAY_MS, WINDOW_DAYS * DAY_MS + 1),
    )
    .map(advanceClock),
];

describe('SessionRepository against an in-memory model', () => {
  it('agrees with the model after every step of random operation sequences', async () => {
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 25 }), async (sequence) => {
        const time = manualClock();
        const users = Array.from({ length: USERS }, () => uniqueUserId('model'));
        const real: Real = {
          repository: repositoryFor(doc, { clock: time.clock }),
          time,
          users,
        };
        const model: Model = {
          now: time.clock().getTime(),
          sessions: new Map(),
        };
        await fc.asyncModelRun(() => ({ model, real }), sequence);
      }),
      propertyParameters({ seed: 90_201, numRuns: 60 }),
    );
  });
});
