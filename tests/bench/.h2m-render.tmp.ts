import { BUDGETS } from '/work/wt/h2m/tests/bench/budgets.ts';
import { measureShardDistribution, shardDistributionSection } from '/work/wt/h2m/tests/bench/shard-distribution.ts';
import { measureSweepThroughput, SWEEP_THROUGHPUT_FULL, sweepThroughputSection, scaling } from '/work/wt/h2m/tests/bench/sweep-throughput.ts';
import { modelledWriteCost, writeCostSection } from '/work/wt/h2m/tests/bench/write-cost.ts';
const tp = await measureSweepThroughput({ ...SWEEP_THROUGHPUT_FULL, log: (l) => process.stderr.write(l + '\n') });
const dist = measureShardDistribution(1_000_000);
const plan = modelledWriteCost();
process.stdout.write([
  shardDistributionSection(dist),
  sweepThroughputSection(tp, { latencyMs: BUDGETS.sweepSpeedupLatencyMs, minSpeedup: BUDGETS.sweepWorkerSpeedup }),
  writeCostSection(plan, BUDGETS.conversationWcuPerWrite),
].join('\n\n') + '\n');
process.stderr.write(JSON.stringify(scaling(tp, 20)) + ' ' + JSON.stringify(tp.rows.map(r => [r.latencyMs, r.workers, r.deletesPerSecond.toFixed(0), r.speedup.toFixed(2), r.cpuMsPerDelete.toFixed(3)])) + '\n');
