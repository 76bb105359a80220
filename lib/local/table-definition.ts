/**
 * The sessions table as `serverless.yml` defines it, turned into a CreateTable request for a local
 * DynamoDB. There is no second hand-written copy: keys, attributes and the index come from the file.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { type CollectionTag, parse, type ScalarTag } from 'yaml';

export const SERVERLESS_YML = fileURLToPath(new URL('../../serverless.yml', import.meta.url));
export const LOCAL_TABLE_NAME = 'session-service-dev-sessions';

/** CloudFormation short-form tags (`!Ref`, `!GetAtt`…) carry nothing the local table needs. */
const CLOUDFORMATION_TAG_NAMES = ['Ref', 'GetAtt', 'Sub', 'Not', 'Equals', 'If', 'Join', 'Select', 'Split'];
const CLOUDFORMATION_TAGS: (ScalarTag | CollectionTag)[] = CLOUDFORMATION_TAG_NAMES.flatMap((name) => [
  { tag: `!${name}`, resolve: (value: string) => value },
  { tag: `!${name}`, collection: 'seq' as const, resolve: (value: unknown) => value },
  { tag: `!${name}`, collection: 'map' as const, resolve: (value: unknown) => value },
]);

interface TableResource {
  Properties: Pick<
    CreateTableCommandInput,
    'AttributeDefinitions' | 'KeySchema' | 'GlobalSecondaryIndexes' | 'BillingMode'
  >;
}

function findTableResource(document: unknown): TableResource {
  const resources = (document as { resources?: unknown }).resources;
  const blocks = Array.isArray(resources) ? resources : [resources];
  for (const block of blocks) {
    const table = (block as { Resources?: Record<string, TableResource> } | null)?.Resources?.SessionsTable;
    if (table) return table;
  }
  throw new Error(`No SessionsTable resource in ${SERVERLESS_YML}`);
}

/** The CreateTable request for `tableName`, built from the `SessionsTable` resource of serverless.yml. */
export function sessionsTableDefinition(tableName: string, file = SERVERLESS_YML): CreateTableCommandInput {
  const document = parse(readFileSync(file, 'utf8'), {
    customTags: CLOUDFORMATION_TAGS,
  });
  const { AttributeDefinitions, KeySchema, GlobalSecondaryIndexes, BillingMode } =
    findTableResource(document).Properties;
  return {
    TableName: tableName,
    AttributeDefinitions,
    KeySchema,
    GlobalSecondaryIndexes,
    BillingMode,
  };
}
