// The settings a stage other than dev cannot run without. Packaging (and so deploying) such a stage
// fails while any is missing, with one message that names each and where to set it; dev needs none.
// docs/OPERATIONS.md, "Settings", describes them.

/** Zero-configuration stage: the local stack and the tests. */
const DEV_STAGE = 'dev';

/** Each required setting, what it is, and how to tell it is missing. */
const REQUIRED = [
  { name: 'jwtIssuerUrl', what: "the JWT issuer's URL (the tokens' iss)" },
  { name: 'jwtAudience', what: 'the audience (or client id) the tokens carry' },
  { name: 'chatbotRoleArn', what: "the chatbot Lambda's IAM role ARN" },
];

/** Each alarm tier needs somewhere to notify: an existing topic, or an address for a created one. */
const TIERS = [
  { tier: 'page', topic: 'pageTopicArn', email: 'pageEmail' },
  { tier: 'ticket', topic: 'ticketTopicArn', email: 'ticketEmail' },
];

const isSet = (value) => value !== undefined && value !== null && String(value).trim() !== '';

/**
 * The settings missing for `stage`, given a reader of stage parameters; empty for dev. Each entry is
 * one line of the message.
 */
async function missingSettings(stage, param) {
  if (stage === DEV_STAGE) return [];
  const missing = [];
  for (const { name, what } of REQUIRED) {
    if (!isSet(await param(name))) missing.push(`${name}: ${what}`);
  }
  for (const { tier, topic, email } of TIERS) {
    if (!isSet(await param(topic)) && !isSet(await param(email))) {
      missing.push(`${topic} or ${email}: where ${tier}-tier alarms notify`);
    }
  }
  return missing;
}

/** The message naming each missing setting and where to set it. */
function missingSettingsMessage(stage, missing) {
  return [
    `The ${stage} stage is missing ${missing.length} required setting(s):`,
    ...missing.map((line) => `  - ${line}`),
    `Set each under params.${stage} in serverless.yml, or on the command line:`,
    `  npx serverless deploy --stage ${stage} --param "name=value" ...`,
    'docs/OPERATIONS.md, "Settings", describes them.',
  ].join('\n');
}

module.exports = async ({ resolveVariable }) => {
  const stage = await resolveVariable('sls:stage');
  // Not caught: osls answers "Cannot resolve variable" while the params source is not ready yet, and
  // resolves this file again once it is.
  const param = (name) => resolveVariable(`param:${name}`);
  const missing = await missingSettings(stage, param);
  if (missing.length > 0) throw new Error(missingSettingsMessage(stage, missing));
  return { checked: stage !== DEV_STAGE };
};

module.exports.missingSettings = missingSettings;
module.exports.DEV_STAGE = DEV_STAGE;
