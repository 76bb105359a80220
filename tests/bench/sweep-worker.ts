/**
 * One sweep worker of the sweep-throughput bench, in its own process as each scheduled sweep runs in
 * its own Lambda environment. It sweeps its share of the shard values with the service's own
 * `sweepInactiveSessions` and `SessionRepository`, against the endpoint it is given, whenever the
 * parent says `run`, and answers with what it did and the CPU it spent.
 */
import { createDocumentClient } from '../../lib/store/dynamodb.ts';
import { SessionIndex } from '../../lib/sweep/session-index.ts';
import { sweepInactiveSessions } from '../../lib/sweep/sweep.ts';

export interface WorkerRun {
  type: 'run';
  shards: number[];
  concurrency: number;
  /** The shard count writes use: the sweep waits for these shards' pages and takes the others as they come. */
  activityShards: number;
}

export interface WorkerReport {
  type: 'report';
  examined: number;
  deleted: number;
  skipped: number;
  errors: number;
  wallMs: number;
  /** User plus system CPU of this process during the sweep, in ms. */
  cpuMs: number;
}

const endpoint = process.env.SWEEP_BENCH_ENDPOINT;
if (!endpoint || !process.send) throw new Error('run by tests/bench/sweep-throughput.ts only');

const doc = createDocumentClient({ endpoint });

async function sweep(run: WorkerRun): Promise<WorkerReport> {
  const sessions = new SessionIndex(doc, {
    tableName: 'sweep-throughput',
    inactiveDays: 30,
    activityShards: run.activityShards,
  });
  const cpu = process.cpuUsage();
  const started = performance.now();
  const report = await sweepInactiveSessions(sessions, {
    inactiveDays: 30,
    dryRun: false,
    concurrency: run.concurrency,
    now: new Date(),
    shards: run.shards,
    remainingTimeMs: () => Number.MAX_SAFE_INTEGER,
    safetyMarginMs: 0,
  });
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return {
    type: 'report',
    examined: report.examined,
    deleted: report.deleted,
    skipped: report.skipped,
    errors: report.errors,
    wallMs,
    cpuMs: (used.user + used.system) / 1000,
  };
}

process.on('message', (message: WorkerRun | { type: 'exit' }) => {
  if (message.type === 'exit') {
    doc.destroy();
    process.disconnect?.();
    return;
  }
  sweep(message).then(
    (report) => process.send?.(report),
    (error: unknown) => {
      process.stderr.write(`sweep worker failed: ${String(error)}\n`);
      process.exit(1);
    },
  );
});
process.send({ type: 'ready' });
