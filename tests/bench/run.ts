/**
 * `npm run bench`: the full benchmark; prints the report and writes docs/BENCHMARKS.md.
 * `npm run bench:check`: the reduced run; prints the report, writes nothing, and exits 1 when a
 * budget is broken. Both run against dynalite in this process, never against AWS.
 */
import { writeFileSync } from 'node:fs';
import { cpus, release, totalmem, type } from 'node:os';
import { fileURLToPath } from 'node:url';
import { ensureSessionsTable, startEmbeddedDynamo } from '../../lib/local/embedded-dynamodb.ts';
import { evaluateBudgets } from './budgets.ts';
import { measureClientSize } from './client-size.ts';
import { measureColdStart } from './cold-start.ts';
import { measureConversation } from './conversation-cost.ts';
import { measureEventsConsumer } from './events-consumer.ts';
import { loadRuntime, measureHandlerOverhead } from './handler-overhead.ts';
import { measureLoad } from './load.ts';
import { CHECK_PLAN, FULL_PLAN } from './plan.ts';
import { type BenchResult, budgetTable, renderReport } from './report.ts';
import { measureShardDistribution } from './shard-distribution.ts';
import { measureSweepCost } from './sweep-cost.ts';
import { measureSweepThroughput } from './sweep-throughput.ts';

const CONVERSATION_TABLE = 'bench-conversation';
const REPORT_FILE = fileURLToPath(new URL('../../docs/BENCHMARKS.md', import.meta.url));
const HANDLER_TABLE = 'session-bench-handlers';

const plan = process.argv.includes('--check') ? CHECK_PLAN : FULL_PLAN;
const started = performance.now();
const log = (line: string) => process.stderr.write(`${line}\n`);
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(0)} s`;

log(`bench (${plan.mode}): starting the embedded DynamoDB`);
const dynamo = await startEmbeddedDynamo();
let result: BenchResult;
try {
  await ensureSessionsTable(dynamo.endpoint, HANDLER_TABLE);
  const { runtime, handlers } = await loadRuntime(dynamo.endpoint, HANDLER_TABLE);

  log(`[${elapsed()}] 1-2. handler overhead, requests and capacity per operation`);
  const overhead = await measureHandlerOverhead(runtime.documentClient, handlers, {
    tableName: HANDLER_TABLE,
    inactiveDays: runtime.config.inactiveDays,
    ...plan.handler,
  });

  log(`[${elapsed()}] 8. write cost of a 40-message chatbot conversation`);
  await ensureSessionsTable(dynamo.endpoint, CONVERSATION_TABLE);
  const conversation = await measureConversation(runtime.documentClient, CONVERSATION_TABLE);

  log(`[${elapsed()}] 3. sweep cost on ${plan.sweep.sizes.join(' and ')} sessions`);
  const sweep = await measureSweepCost({ endpoint: dynamo.endpoint, ...plan.sweep, log });
  runtime.documentClient.destroy();
  await dynamo.close();

  log(`[${elapsed()}] 4. cold start, ${plan.coldStart.processes} processes per bundle`);
  const coldStart = await measureColdStart({ ...plan.coldStart, log });

  log(`[${elapsed()}] 9. the client package: browser bundle size, client code in the function bundles`);
  const clientSize = await measureClientSize();

  log(`[${elapsed()}] 10. the events consumer's CPU per stream record`);
  const eventsConsumer = await measureEventsConsumer();

  const { latenciesMs, workers } = plan.sweepThroughput;
  log(
    `[${elapsed()}] 7. sweep throughput, ${workers.join(', ')} workers at ${latenciesMs.join(' and ')} ms per request`,
  );
  const sweepThroughput = await measureSweepThroughput({ ...plan.sweepThroughput, log });

  let shardDistribution: BenchResult['shardDistribution'];
  if (plan.shardDistribution) {
    log(`[${elapsed()}] 6. shard distribution of ${plan.shardDistribution.idsPerShape} ids of each shape`);
    shardDistribution = measureShardDistribution(plan.shardDistribution.idsPerShape);
  }

  let load: BenchResult['load'];
  if (plan.load) {
    log(`[${elapsed()}] 5. the local stack under load`);
    load = await measureLoad({ ...plan.load, log });
  }

  const cpu = cpus();
  result = {
    plan,
    machine: {
      cpu: cpu[0]?.model.trim() ?? 'unknown CPU',
      cores: cpu.length,
      os: `${type()} ${release()}`,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    },
    overhead,
    sweep,
    coldStart,
    load,
    sweepThroughput,
    shardDistribution,
    conversation,
    eventsConsumer,
    clientSize,
    wallMs: performance.now() - started,
  };
} catch (error) {
  await dynamo.close();
  throw error;
}

const checks = evaluateBudgets(result);
const report = renderReport(result, checks);
process.stdout.write(report);
if (plan.mode === 'full') {
  writeFileSync(REPORT_FILE, report);
  log(`wrote ${REPORT_FILE}`);
}
log(`bench (${plan.mode}) finished in ${elapsed()}`);

const broken = checks.filter((check) => !check.pass);
if (broken.length > 0) {
  log(`\n${broken.length} budget(s) broken:\n${budgetTable(broken)}`);
  for (const check of broken) log(`BUDGET BROKEN: ${check.name}: ${check.figure}, budget ${check.limit}`);
  process.exitCode = 1;
} else {
  log('all budgets met');
}
