import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { main, parseArguments, UsageError } from '../../../lib/capacity/cli.ts';

const CLI = fileURLToPath(new URL('../../../lib/capacity/cli.ts', import.meta.url));
const TARGET = [
  '--sessions',
  '100000000',
  '--writes-per-second',
  '20000',
  '--reads-per-second',
  '5000',
  '--expiring-per-day',
  '5000000',
];

function run(argv: string[]) {
  let out = '';
  let err = '';
  const code = main(
    argv,
    (text) => {
      out += text;
    },
    (text) => {
      err += text;
    },
  );
  return { code, out, err };
}

describe('capacity command', () => {
  it('prints the plan as JSON with activityShards, sweepWorkers and monthlyCostUsd', () => {
    const { code, out, err } = run([...TARGET, '--json']);
    expect(code).toBe(0);
    expect(err).toBe('');
    const plan = JSON.parse(out);
    expect(plan).toMatchObject({ activityShards: 8, sweepWorkers: 1, monthlyCostUsd: 181_019.89 });
    expect(plan.workload).toMatchObject({ sessions: 100_000_000, writesPerSecond: 20_000, backlog: 0 });
    // Every cost line by name, with what it counts and what it costs.
    expect(
      Object.fromEntries(plan.cost.map((line: { id: string; usd: number }) => [line.id, line.usd])),
    ).toMatchObject({
      httpApiRequests: 59_160,
      cloudwatchLogs: expect.any(Number),
      dynamodbPitr: expect.any(Number),
    });
  });

  it("costs Lambda's own log lines with --platform-logs", () => {
    const { code, out } = run([...TARGET, '--platform-logs', '--json']);
    expect(code).toBe(0);
    const plan = JSON.parse(out);
    expect(plan.workload.platformLogs).toBe(true);
    expect(plan.logs.platformBytesPerInvocation).toBe(518);
  });

  it('prints settings, quotas to raise, the cost and its arithmetic as text', () => {
    const { code, out } = run([...TARGET, '--backlog', '30_000_000', '--backlog-hours', '5']);
    expect(code).toBe(0);
    expect(out).toMatch(/activityShards\s+11\n/);
    expect(out).toMatch(/sweepWorkers\s+3\n/);
    expect(out).toMatch(/sweepSchedule\s+rate\(15 minutes\)\n/);
    expect(out).toContain('RAISE Lambda concurrent executions (per Region): to 5,371');
    expect(out).toContain('RAISE API Gateway throttle quota per account, per Region: to 50,000');
    expect(out).toContain('backlog cleared in 4.7 h');
    expect(out).toContain('shards = ceil(2 × 5,111 / 1,000) = 11');
    expect(out).toContain('update 17,333/s → 3,467');
    expect(out).toMatch(/\$181,020\.02 {2}total/);
  });

  it.each([
    [['--sessions', '10'], 'missing --writes-per-second, --reads-per-second, --expiring-per-day'],
    [[...TARGET, '--shards', '4'], 'unknown argument --shards'],
    [[...TARGET, '--backlog'], '--backlog needs a value'],
    [[...TARGET, '--backlog', '--json'], '--backlog needs a value'],
    [['--sessions', 'many', ...TARGET.slice(2)], '--sessions must be a number of at least 0, got many'],
    [['--sessions=-5', ...TARGET.slice(2)], '--sessions must be a number of at least 0, got -5'],
  ])('rejects %j: %s', (argv, message) => {
    expect(() => parseArguments(argv)).toThrow(new UsageError(message));
    const { code, out, err } = run(argv);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toContain(message);
    expect(err).toContain('usage: npm run capacity --');
  });

  it('exits 2 with the usage on a workload out of range', () => {
    const { code, err } = run([...TARGET, '--http-share', '2']);
    expect(code).toBe(2);
    expect(err).toContain('httpShare must be a number from 0 to 1, got 2');
  });

  it('runs as a command: JSON on stdout and exit 0, or exit 2 on a bad argument', async () => {
    const exec = promisify(execFile);
    const { stdout } = await exec(process.execPath, [CLI, ...TARGET, '--json']);
    expect(JSON.parse(stdout).activityShards).toBe(8);
    await expect(exec(process.execPath, [CLI, '--sessions', 'x'])).rejects.toMatchObject({ code: 2 });
  }, 30_000);
});
