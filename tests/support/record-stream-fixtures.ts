/**
 * Records real stream records for every kind of change the service makes, from moto's DynamoDB stream
 * while the repository writes, into tests/fixtures/events/stream-records.json; then prints the events
 * each change publishes. `npm run fixtures:events` (needs `moto_server` on the PATH).
 *
 * The erasure is not an operation of the repository yet: it is recorded as the DeleteItem it will be.
 * DynamoDB's TTL removal cannot be made on moto: it is the sweep's removal with the identity DynamoDB
 * gives TTL deletions (marked `derived`).
 */
import { writeFileSync } from 'node:fs';
import type { DynamoDBRecord } from 'aws-lambda';
import { eventsOf } from '../../lib/events/map-record.ts';
import { TTL_PRINCIPAL } from '../../lib/events/stored-image.ts';
import { DAY_MS, inactiveCutoff } from '../../lib/store/clock.ts';
import { createDocumentClient } from '../../lib/store/dynamodb.ts';
import { SessionRepository } from '../../lib/store/session-repository.ts';
import { SessionIndex } from '../../lib/sweep/session-index.ts';
import { startMoto } from './moto.ts';
import { createStreamingTable, MOTO_REGION, StreamReader } from './moto-stream.ts';

export const FIXTURE_FILE = new URL('../fixtures/events/stream-records.json', import.meta.url);
const TABLE = 'session-service-fixtures-sessions';
const INACTIVE_DAYS = 30;

export interface Scenario {
  description: string;
  /** Made from another scenario's records, where moto cannot produce the change. */
  derived?: boolean;
  records: DynamoDBRecord[];
}

export interface FixtureFile {
  recordedWith: string;
  inactiveDays: number;
  scenarios: Record<string, Scenario>;
}

async function record(): Promise<FixtureFile> {
  const moto = await startMoto();
  try {
    const streamArn = await createStreamingTable(moto.endpoint, TABLE);
    const doc = createDocumentClient({ endpoint: moto.endpoint, region: MOTO_REGION, maxAttempts: 1 });
    // Writes "days ago" move the clock back; the stream stamps its records with the real time.
    let offsetMs = 0;
    const clock = () => new Date(Date.now() + offsetMs);
    const repository = (activityShards = 16) =>
      new SessionRepository(doc, { tableName: TABLE, inactiveDays: INACTIVE_DAYS, clock, activityShards });
    const sessions = repository();
    const index = (activityShards = 16) =>
      new SessionIndex(doc, { tableName: TABLE, inactiveDays: INACTIVE_DAYS, clock, activityShards });
    const reader = new StreamReader(moto.endpoint, streamArn);
    const scenarios: Record<string, Scenario> = {};
    const scenario = async (name: string, description: string, act: () => Promise<unknown>) => {
      offsetMs = 0;
      await act();
      scenarios[name] = { description, records: await reader.read() };
    };
    const daysAgo = async <T>(days: number, act: () => Promise<T>): Promise<T> => {
      offsetMs = -days * DAY_MS;
      try {
        return await act();
      } finally {
        offsetMs = 0;
      }
    };
    const sweepCutoff = () => inactiveCutoff(new Date(), INACTIVE_DAYS);
    // One user through a lifetime of changes.
    const ada = 'fixture:ada';
    await scenario('create', 'create-or-get of a new user, from the chatbot', () =>
      sessions.createOrGet(ada, 'Chatbot'),
    );
    await scenario('refresh', 'create-or-get of the live session: only its activity changes', () =>
      sessions.createOrGet(ada, 'Chatbot'),
    );
    await scenario('step', 'update of the step', () => sessions.update(ada, { step: 'choose-service' }));
    await scenario('booking', 'update of booking fields', () =>
      sessions.update(ada, {
        booking: { service: 'haircut', date: '2026-12-24', name: 'Ada Lovelace', phone: '+447700900123' },
      }),
    );
    await scenario(
      'step-and-booking',
      'one update of the step and of booking fields (one set, one removed)',
      () => sessions.update(ada, { step: 'confirm', booking: { time: '10:30', phone: null } }),
    );
    await scenario('context-only', 'update of the context alone', () =>
      sessions.update(ada, { context: { language: 'en' } }),
    );
    await scenario(
      'same-values',
      'update that sets the values already stored (the version still moves)',
      () => sessions.update(ada, { step: 'confirm', booking: { service: 'haircut' } }),
    );
    await scenario(
      'repeated-with-key',
      'the same keyed update sent twice: the second writes nothing',
      async () => {
        await sessions.update(ada, { booking: { email: 'ada@example.com' } }, { idempotencyKey: 'k-email' });
        await sessions.update(ada, { booking: { email: 'ada@example.com' } }, { idempotencyKey: 'k-email' });
      },
    );
    await scenario('clear', 'clear of a session with data', () => sessions.clear(ada));
    await scenario('clear-empty', 'clear of a session already empty', () => sessions.clear(ada));

    // Delete, and a new lifetime on the tombstone.
    const grace = 'fixture:grace';
    await sessions.createOrGet(grace, 'Website');
    await sessions.update(grace, { step: 'choose-date', booking: { service: 'massage', partySize: 2 } });
    await reader.read();
    await scenario('delete', "the user's delete: a tombstone", () => sessions.delete(grace));
    await scenario('recreate-after-delete', 'create-or-get on the tombstone: a new lifetime', () =>
      sessions.createOrGet(grace, 'Chatbot'),
    );

    // Expiry: the sweep's delete, a replacement, a delete of an expired session, a tombstone's purge.
    const linus = 'fixture:linus';
    const margaret = 'fixture:margaret';
    const dennis = 'fixture:dennis';
    const barbara = 'fixture:barbara';
    await daysAgo(INACTIVE_DAYS + 1, async () => {
      for (const userId of [linus, margaret, dennis]) {
        await sessions.createOrGet(userId, 'Website');
        await sessions.update(userId, {
          step: 'choose-time',
          booking: { service: 'dinner', date: '2026-11-01' },
        });
      }
      await sessions.createOrGet(barbara, 'Website');
      await sessions.delete(barbara);
    });
    await reader.read();
    await scenario('expire-by-sweep', "the sweep's delete of a session inactive past the window", () =>
      index().deleteIfInactive(linus, sweepCutoff()),
    );
    await scenario(
      'replace-expired',
      'create-or-get on an expired session the sweep has not removed yet',
      () => sessions.createOrGet(margaret, 'Chatbot'),
    );
    await scenario(
      'delete-expired',
      "the user's delete of an expired session: nothing is written; the sweep removes it",
      () => sessions.delete(dennis),
    );
    await scenario('purge-tombstone', "the sweep's delete of an old tombstone", () =>
      index().deleteIfInactive(barbara, sweepCutoff()),
    );

    // Erasure of a live session and of a recent tombstone.
    const alan = 'fixture:alan';
    const edsger = 'fixture:edsger';
    await sessions.createOrGet(alan, 'Website');
    await sessions.update(alan, { booking: { name: 'Alan Turing' } });
    await sessions.createOrGet(edsger, 'Website');
    await sessions.delete(edsger);
    await reader.read();
    await scenario('erase', 'erasure of a live session: its item removed at once', () =>
      sessions.erase(alan),
    );
    await scenario('erase-tombstone', 'erasure of a recent tombstone', () => sessions.erase(edsger));

    // A move of the index entry to another shard count.
    await scenario('shard-move', "the shard backfill's move of an index entry", async () => {
      const userId = ['fixture:ken', 'fixture:bjarne', 'fixture:guido'].find(
        (id) => index(16).currentShardOf(id) !== index(64).currentShardOf(id),
      ) as string;
      await sessions.createOrGet(userId, 'Website');
      await reader.read();
      for await (const page of index().shardEntryPages(index().currentShardOf(userId))) {
        const entry = page.entries.find((candidate) => candidate.userId === userId);
        if (entry) await index(64).moveToCurrentShard(entry);
      }
    });

    const sweep = scenarios['expire-by-sweep'] as Scenario;
    scenarios['expire-by-ttl'] = {
      description: "DynamoDB's TTL removal of an expired session: the sweep's removal, with TTL's identity",
      derived: true,
      records: sweep.records.map((streamRecord) => ({
        ...streamRecord,
        eventID: `${streamRecord.eventID}-ttl`,
        userIdentity: { ...TTL_PRINCIPAL },
      })),
    };
    reader.destroy();
    doc.destroy();
    return { recordedWith: 'moto (tests/support/moto-serial.py)', inactiveDays: INACTIVE_DAYS, scenarios };
  } finally {
    await moto.stop();
  }
}

const fixtures = await record();
writeFileSync(FIXTURE_FILE, `${JSON.stringify(fixtures, null, 2)}\n`);
console.log(`Wrote ${FIXTURE_FILE.pathname}`);
for (const [name, { records }] of Object.entries(fixtures.scenarios)) {
  const events = records.flatMap((streamRecord) =>
    eventsOf(streamRecord, { includeBooking: false, inactiveMs: fixtures.inactiveDays * DAY_MS }),
  );
  const kinds = records.map((streamRecord) => streamRecord.eventName).join(', ') || 'no record';
  console.log(
    `${name.padEnd(22)} ${kinds.padEnd(16)} → ${events.map((event) => event.detailType).join(', ') || 'nothing'}`,
  );
  for (const event of events) console.log(`    ${JSON.stringify(event.detail)}`);
}
