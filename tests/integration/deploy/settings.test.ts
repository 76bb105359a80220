/**
 * Settings that cannot silently go missing: packaging any stage but dev without a required setting
 * exits non-zero and names each missing one and where to set it; with all of them, on the command line,
 * it succeeds and each lands where it acts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { packageService, REQUIRED_SETTINGS, type Template } from '../../support/package-service.ts';

/** The lines of the refusal, one per missing setting, as lib/deploy/settings.cjs words them. */
const EVERY_MISSING = [
  /- jwtIssuerUrl: /,
  /- jwtAudience: /,
  /- chatbotRoleArn: /,
  /- pageTopicArn or pageEmail: /,
  /- ticketTopicArn or ticketEmail: /,
];

async function refusal(stage: string, params: Record<string, string> = {}): Promise<string> {
  try {
    await packageService({ stage, params });
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`packaging ${stage} succeeded without its settings`);
}

describe('required settings', () => {
  it.each(['prod', 'staging'])(
    'packaging %s without them exits non-zero, naming each and where to set it',
    async (stage) => {
      const message = await refusal(stage);

      expect(message).toMatch(/exited with [1-9]/);
      expect(message).toContain(`The ${stage} stage is missing 5 required setting(s)`);
      for (const line of EVERY_MISSING) expect(message).toMatch(line);
      expect(message).toContain(`params.${stage} in serverless.yml`);
      expect(message).toContain('--param "name=value"');
    },
    180_000,
  );

  it('names only what is still missing', async () => {
    const { chatbotRoleArn: _chatbot, ticketTopicArn: _ticket, ...partial } = REQUIRED_SETTINGS;
    const message = await refusal('prod', partial);

    expect(message).toContain('missing 2 required setting(s)');
    expect(message).toMatch(/- chatbotRoleArn: /);
    expect(message).toMatch(/- ticketTopicArn or ticketEmail: /);
    expect(message).not.toMatch(/- jwtIssuerUrl: /);
  }, 180_000);

  describe('given on the command line', () => {
    let prod: Template;

    beforeAll(async () => {
      prod = await packageService({ stage: 'prod', params: REQUIRED_SETTINGS });
    }, 240_000);

    const ofType = (type: string) =>
      Object.values(prod.Resources).filter((resource) => resource.Type === type);

    it('packages, with the issuer and audience on the authorizer', () => {
      const [authorizer] = ofType('AWS::ApiGatewayV2::Authorizer');

      expect(authorizer?.Properties.JwtConfiguration).toEqual({
        Issuer: REQUIRED_SETTINGS.jwtIssuerUrl,
        Audience: [REQUIRED_SETTINGS.jwtAudience],
      });
    });

    it('grants the chatbot role its invoke permissions', () => {
      const principals = ofType('AWS::Lambda::Permission').map(
        (permission) => permission.Properties.Principal,
      );

      // The five session operations, erase and exportUser.
      expect(principals.filter((principal) => principal === REQUIRED_SETTINGS.chatbotRoleArn)).toHaveLength(
        7,
      );
    });

    it('notifies both tiers: the page address subscribed, tickets to the given topic', () => {
      const [subscription] = ofType('AWS::SNS::Subscription');
      const outputs = (prod as unknown as { Outputs: Record<string, { Value: unknown }> }).Outputs;

      expect(subscription?.Properties).toEqual({
        TopicArn: { Ref: 'PageTopic' },
        Protocol: 'email',
        Endpoint: REQUIRED_SETTINGS.pageEmail,
      });
      expect(outputs.TicketTopicArn?.Value).toBe(REQUIRED_SETTINGS.ticketTopicArn);
    });
  });
});
