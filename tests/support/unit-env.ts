// The unit tier talks to nothing: modules that read the environment at load get a table name, and any
// DynamoDB request that slips through goes to a closed local port and fails at once instead of reaching AWS.
process.env.TABLE_NAME = 'unit-tests';
process.env.DYNAMODB_ENDPOINT = 'http://127.0.0.1:9';
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_DEV ??= 'false';
