/**
 * The runbook runs as written: every command in docs/OPERATIONS.md names npm scripts and their options,
 * osls stage parameters, and resources (functions, table, index, queue, alarms, stack outputs, logical
 * ids) that the packaged prod template and the code really have.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseArguments } from '../../../lib/capacity/cli.ts';
import { packageService, REQUIRED_SETTINGS, type Template } from '../../support/package-service.ts';

const read = (path: string) => readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8');
const RUNBOOK = read('docs/OPERATIONS.md');
const SCRIPTS = Object.keys(
  (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts,
);
const PARAMS = Object.keys(
  (parse(read('serverless.yml')) as { params: { default: Record<string, unknown> } }).params.default,
);
const STACK = 'session-service-prod';

/** Every shell command of the runbook: the `sh` blocks, continuation lines joined, comments dropped. */
function commands(markdown: string): string[] {
  const blocks = [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1] as string);
  return blocks.flatMap((block) =>
    block
      .replace(/\\\n\s*/g, ' ')
      .split('\n')
      .map((line) => line.replace(/\s+#\s.*$/, '').trim())
      .filter((line) => line !== '' && !line.startsWith('#')),
  );
}

/** The comments of the `sh` blocks, where the runbook lists the stack outputs a command prints. */
function commentsOf(markdown: string): string[] {
  return [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((match) =>
    [...(match[1] as string).matchAll(/\s#\s(.*)$/gm)].map((comment) => comment[1] as string),
  );
}

/** The values given to `flag` anywhere in `command`. */
const valuesOf = (command: string, flag: string) =>
  [...command.matchAll(new RegExp(`${flag}[ =]("[^"]*"|'[^']*'|\\S+)`, 'g'))].map((match) =>
    (match[1] as string).replace(/^["']|["']$/g, ''),
  );

const ALL = commands(RUNBOOK);

describe('docs/OPERATIONS.md', () => {
  let prod: Template;
  beforeAll(async () => {
    prod = await packageService({ stage: 'prod', params: REQUIRED_SETTINGS });
  }, 240_000);

  const resources = () => Object.entries(prod.Resources);
  const propertyValues = (type: string, property: string) =>
    resources()
      .filter(([, resource]) => resource.Type === type)
      .map(([, resource]) => resource.Properties[property]);
  const outputs = () => Object.keys((prod as unknown as { Outputs: Record<string, unknown> }).Outputs);

  it('has commands to check', () => {
    expect(ALL.length).toBeGreaterThan(30);
  });

  it('runs only npm scripts that exist, with options they take', () => {
    const npm = ALL.filter((command) => command.startsWith('npm run'));
    const backfillSource = read('lib/deploy/backfill.ts');

    expect(npm.length).toBeGreaterThan(0);
    for (const command of npm) {
      const [, script, rest = ''] = /^npm run (\S+)(?: -- (.*))?$/.exec(command) ?? [];
      expect(SCRIPTS, command).toContain(script);
      const flags = [...rest.matchAll(/--([\w-]+)/g)].map((match) => match[1] as string);
      if (script === 'backfill') {
        for (const flag of flags) {
          expect(backfillSource, `${command}: --${flag}`).toMatch(
            new RegExp(`(?:'${flag}'|\\b${flag}): \\{ type:`),
          );
        }
      }
      if (script === 'capacity') expect(() => parseArguments(rest.split(/\s+/))).not.toThrow();
    }
  });

  it('gives osls only stage parameters that serverless.yml has, on commands osls has', () => {
    const osls = ALL.filter((command) => command.startsWith('npx serverless'));

    expect(osls.length).toBeGreaterThan(3);
    for (const command of osls) {
      expect(command, command).toMatch(/^npx serverless (package|deploy|info|rollback|deploy list) /);
      expect(command, command).toContain('--stage prod');
      for (const param of valuesOf(command, '--param')) {
        expect(PARAMS, command).toContain(param.split('=')[0]);
      }
    }
    // Every setting a non-dev stage requires is shown on the deploy command.
    const deploy = osls.find((command) => command.startsWith('npx serverless deploy --stage prod --param'));
    for (const name of ['jwtIssuerUrl', 'jwtAudience', 'chatbotRoleArn'])
      expect(deploy).toContain(`${name}=`);
  });

  it('names functions, the table, its index, the queue and alarms of the prod template', () => {
    const functions = propertyValues('AWS::Lambda::Function', 'FunctionName');
    const [table] = propertyValues('AWS::DynamoDB::Table', 'TableName');
    const queues = propertyValues('AWS::SQS::Queue', 'QueueName');
    const alarms = propertyValues('AWS::CloudWatch::Alarm', 'AlarmName');
    const tableResource = resources().find(([, resource]) => resource.Type === 'AWS::DynamoDB::Table')?.[1];
    const indexes = ((tableResource?.Properties.GlobalSecondaryIndexes ?? []) as { IndexName: string }[]).map(
      (index) => index.IndexName,
    );
    let checked = 0;

    for (const command of ALL.filter((line) => line.startsWith('aws '))) {
      for (const name of valuesOf(command, '--function-name')) {
        expect(functions, command).toContain(name);
        checked++;
      }
      for (const name of [
        ...valuesOf(command, '--table-name'),
        ...valuesOf(command, '--source-table-name'),
      ]) {
        // A restore's target is a new table of the operator's naming.
        if (!name.endsWith('-restored')) expect(name, command).toBe(table);
        checked++;
      }
      for (const name of valuesOf(command, '--index-name')) expect(indexes, command).toContain(name);
      for (const name of valuesOf(command, '--queue-name')) expect(queues, command).toContain(name);
      for (const name of valuesOf(command, '--alarm-name')) expect(alarms, command).toContain(name);
      for (const name of valuesOf(command, '--stack-name')) expect(name, command).toBe(STACK);
      for (const id of valuesOf(command, '--logical-resource-id')) {
        expect(prod.Resources[id], command).toBeDefined();
      }
      for (const prefix of valuesOf(command, '--name-prefix')) expect(prefix, command).toBe(STACK);
    }
    expect(checked).toBeGreaterThanOrEqual(8);
  });

  it('names stack outputs that the prod template has', () => {
    const named = new Set([
      ...commentsOf(RUNBOOK).flatMap((comment) => comment.match(/\b[A-Z][a-zA-Z]+(?:Arn|Url|Name)\b/g) ?? []),
      ...[...RUNBOOK.matchAll(/stack outputs? `(\w+)`(?: and `(\w+)`)?/g)].flatMap((match) =>
        match.slice(1).filter((name): name is string => name !== undefined),
      ),
    ]);

    expect([...named].sort()).toEqual(
      expect.arrayContaining(['AccessLogGroupName', 'DashboardUrl', 'PageTopicArn', 'TicketTopicArn']),
    );
    for (const name of named) expect(outputs(), name).toContain(name);
  });

  it('names in its tables only parameters that serverless.yml has', () => {
    const tableParams = [...RUNBOOK.matchAll(/^\|[^\n]*\|\s*`(\w+)`(?: \(([^)]*)\))?\s*\|[^|\n]*\|\s*$/gm)];
    const named = [...RUNBOOK.matchAll(/`(alarm(?!Topics`)[A-Z]\w+|[a-z]\w*(?:TopicArn|Email))`/g)].map(
      (match) => match[1],
    );

    expect(tableParams.length + named.length).toBeGreaterThan(10);
    for (const name of named) expect(PARAMS, name).toContain(name);
  });
});
