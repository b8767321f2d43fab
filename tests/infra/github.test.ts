import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { App, type Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, test } from 'vitest';
import { buildRunway, GITHUB_API_URL_CONTEXT, GITHUB_WEB_URL_CONTEXT } from '../../infra/lib/app.ts';
import { synthRunway } from './synth.ts';

const { stacks, templates } = synthRunway();
const api = templates.api;
const cdkContext = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../../cdk.json'), 'utf8')).context;

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

/** The IAM statements of a function's role, and the function's environment, in its stack's template. */
function roleOf(stack: Stack, template: Template, fn: LambdaFunction) {
  const roleId = stack.getLogicalId(fn.role!.node.defaultChild as never);
  const statements = Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(roleId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
  const [resource] = Object.values(template.findResources('AWS::Lambda::Function', { Properties: { Role: { 'Fn::GetAtt': [roleId, 'Arn'] } } }));
  const env = resource!.Properties.Environment.Variables as Record<string, unknown>;
  const actions = statements.flatMap((s) => [s.Action].flat());
  /** The resources the role may use `action` on. */
  const resourcesOf = (action: string) =>
    statements.filter((s) => s.Effect === 'Allow' && [s.Action].flat().includes(action)).flatMap((s) => [s.Resource].flat());
  return { statements, env, actions, resourcesOf };
}

const apiFn = (name: string) => roleOf(stacks.api, api, stacks.api.functions[name]!);
const worker = roleOf(stacks.api, api, stacks.api.github.worker);
const webhook = apiFn('github-webhook');
const buildState = roleOf(stacks.builds, templates.builds, stacks.builds.buildState);

const logicalIdOf = (template: Template, type: string, props: Record<string, unknown>) => {
  const found = Object.keys(template.findResources(type, { Properties: props }));
  expect(found, `${type} ${JSON.stringify(props)}`).toHaveLength(1);
  return found[0]!;
};
const queueId = logicalIdOf(api, 'AWS::SQS::Queue', { RedrivePolicy: Match.anyValue() });
const deadLettersId = logicalIdOf(api, 'AWS::SQS::Queue', { MessageRetentionPeriod: 14 * 24 * 3600 });
const queueArn = { 'Fn::GetAtt': [queueId, 'Arn'] };
/** The secret as other stacks see it: an import of the state stack's export. */
const secretRef = { 'Fn::ImportValue': expect.stringMatching(/^RunwayState:ExportsOutputRefGitHubAppSecret(?!.*Webhook)/) };
const webhookSecretRef = { 'Fn::ImportValue': expect.stringMatching(/^RunwayState:ExportsOutputRefGitHubAppWebhookSecret/) };

describe('GitHub deliveries queue', () => {
  test('is FIFO, deduplicated by the sender only, encrypted, with a FIFO dead-letter queue after 5 receives', () => {
    api.hasResourceProperties('AWS::SQS::Queue', {
      FifoQueue: true,
      ContentBasedDeduplication: false,
      SqsManagedSseEnabled: true,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [deadLettersId, 'Arn'] }, maxReceiveCount: 5 },
    });
    api.hasResourceProperties('AWS::SQS::Queue', { FifoQueue: true, SqsManagedSseEnabled: true, MessageRetentionPeriod: 1_209_600 });
    expect(deadLettersId).not.toBe(queueId);
  });

  test.each([
    ['deliveries', queueId],
    ['dead letters', deadLettersId],
  ])('the %s queue refuses requests without TLS', (_, id) => {
    api.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: id }],
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
  });

  test('hides a batch for at least 6x the worker timeout', () => {
    const [queue] = Object.values(api.findResources('AWS::SQS::Queue', { Properties: { RedrivePolicy: Match.anyValue() } }));
    const [fn] = Object.values(api.findResources('AWS::Lambda::Function', { Properties: { Environment: { Variables: { POWERTOOLS_SERVICE_NAME: 'github-worker' } } } }));
    expect(fn!.Properties.Timeout).toBeGreaterThan(0);
    expect(queue!.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * fn!.Properties.Timeout);
  });

  test('feeds the worker in batches of 10 with partial batch responses', () => {
    const workerId = stacks.api.getLogicalId(stacks.api.github.worker.node.defaultChild as never);
    api.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    api.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: queueArn,
      FunctionName: { Ref: workerId },
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });
});

describe('the GitHub worker', () => {
  test('consumes the queue', () => {
    expect(worker.resourcesOf('sqs:ReceiveMessage')).toEqual([queueArn]);
    expect(worker.resourcesOf('sqs:DeleteMessage')).toEqual([queueArn]);
  });

  test('starts and stops builds of the builder project only, and knows the project and the build API', () => {
    for (const action of ['codebuild:StartBuild', 'codebuild:StopBuild']) {
      expect(worker.resourcesOf(action)).toEqual([{ 'Fn::ImportValue': expect.stringMatching(/^RunwayBuilds:.*BuilderProject.*Arn/) }]);
    }
    expect(worker.env.RUNWAY_BUILD_PROJECT).toEqual({ 'Fn::ImportValue': expect.stringMatching(/^RunwayBuilds:.*BuilderProject/) });
    expect(worker.env.RUNWAY_API_URL).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^HttpApi/), 'ApiEndpoint'] });
  });

  test("reads the App's secret", () => {
    expect(worker.resourcesOf('secretsmanager:GetSecretValue')).toEqual([secretRef]);
    expect(worker.env.RUNWAY_GITHUB_SECRET_ID).toEqual(secretRef);
  });

  test('reads and writes the control-plane and idempotency tables', () => {
    const tables = JSON.stringify(worker.resourcesOf('dynamodb:PutItem'));
    expect(tables).toMatch(/ControlPlaneTable/);
    expect(tables).toMatch(/ControlPlaneIdempotency/);
  });

  test("writes the edge's KeyValueStore (a deleted branch's alias) and knows its ARN", () => {
    const kvs = { 'Fn::ImportValue': expect.stringMatching(/^RunwayEdge:.*RoutingStore.*Arn/) };
    expect(worker.resourcesOf('cloudfront-keyvaluestore:DeleteKey')).toEqual([kvs]);
    expect(worker.resourcesOf('cloudfront-keyvaluestore:PutKey')).toEqual([kvs]);
    expect(worker.env.RUNWAY_EDGE_KVS_ARN).toEqual(kvs);
  });

  test('has no artifact-bucket or env-var key access', () => {
    expect(worker.actions.filter((a) => /^(s3|kms):/.test(a))).toEqual([]);
  });
});

describe('dead letters', () => {
  test.each([
    ['GitHub deliveries', () => api, () => deadLettersId],
    ['build-state events', () => templates.builds, () => logicalIdOf(templates.builds, 'AWS::SQS::Queue', {})],
  ])('%s that failed every attempt raise an alarm', (_label, template, queue) => {
    template().hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Namespace: 'AWS/SQS',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queue(), 'QueueName'] } }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });
});

describe('the GitHub webhook', () => {
  test('may send to the deliveries queue only, and knows its URL', () => {
    expect(webhook.resourcesOf('sqs:SendMessage')).toEqual([queueArn]);
    expect(webhook.env.RUNWAY_GITHUB_QUEUE_URL).toEqual({ Ref: queueId });
  });

  test("reads the webhook secret only (to verify signatures), never the App's private key", () => {
    expect(webhook.resourcesOf('secretsmanager:GetSecretValue')).toEqual([webhookSecretRef]);
    expect(webhook.env.RUNWAY_GITHUB_WEBHOOK_SECRET_ID).toEqual(webhookSecretRef);
    expect(webhook.env.RUNWAY_GITHUB_SECRET_ID).toBeUndefined();
  });

  test('records delivery ids in the idempotency table, and touches no other table', () => {
    const tables = webhook.statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('dynamodb:'))).flatMap((s) => [s.Resource].flat());
    expect(tables).toEqual([{ 'Fn::ImportValue': expect.stringMatching(/^RunwayState:.*ControlPlaneIdempotency.*Arn/) }]);
    expect(webhook.actions).toContain('dynamodb:PutItem');
  });

  test('cannot start builds, use the env-var key, touch the artifact bucket or the edge', () => {
    expect(webhook.actions.filter((a) => /^(codebuild|kms|s3|cloudfront-keyvaluestore):/.test(a))).toEqual([]);
    expect(JSON.stringify(webhook.statements)).not.toMatch(/SecretsKey/);
  });
});

describe("the GitHub App's secret", () => {
  const state = templates.state;

  /** The App's secrets (the state stack also holds the list-cursor key's). */
  const appSecrets = () => Object.entries(state.findResources('AWS::SecretsManager::Secret')).filter(([id]) => id.startsWith('GitHubApp'));

  test('is created as a placeholder the handlers reject, the webhook secret apart and generated, both retained', () => {
    const secrets = appSecrets().map(([, secret]) => secret);
    expect(secrets).toHaveLength(2);
    for (const secret of secrets) {
      expect(secret.DeletionPolicy).toBe('Retain');
      expect(secret.UpdateReplacePolicy).toBe('Retain');
    }
    const app = secrets.find((s) => s.Properties.GenerateSecretString.SecretStringTemplate)!;
    expect(JSON.parse(app.Properties.GenerateSecretString.SecretStringTemplate)).toMatchObject({ placeholder: true, appId: 0, privateKey: '', clientId: '', clientSecret: '' });
    const hook = secrets.find((s) => !s.Properties.GenerateSecretString.SecretStringTemplate)!;
    expect(hook.Properties.GenerateSecretString).toMatchObject({ PasswordLength: 64, ExcludePunctuation: true });
  });

  test.each(['git', 'deployments', 'builds'])('%s reads it and knows its ARN', (name) => {
    const fn = apiFn(name);
    // deployments also answers a list, so it reads the list-cursor key too, and nothing else.
    const others = name === 'deployments' ? [{ 'Fn::ImportValue': expect.stringMatching(/^RunwayState:ExportsOutputRefCursorKeySecret/) }] : [];
    expect(fn.resourcesOf('secretsmanager:GetSecretValue')).toHaveLength(1 + others.length);
    expect(fn.resourcesOf('secretsmanager:GetSecretValue')).toEqual(expect.arrayContaining([secretRef, ...others]));
    expect(fn.env.RUNWAY_GITHUB_SECRET_ID).toEqual(secretRef);
  });

  test('the build-state function reads it and knows its ARN (it reports outcomes to GitHub)', () => {
    expect(buildState.resourcesOf('secretsmanager:GetSecretValue')).toEqual([secretRef]);
    expect(buildState.env.RUNWAY_GITHUB_SECRET_ID).toEqual(secretRef);
  });

  test('no other role can read it', () => {
    const roleRef = (stack: Stack, fn: LambdaFunction) => [{ Ref: stack.getLogicalId(fn.role!.node.defaultChild as never) }];
    // Readers of either App secret (the list-cursor key's readers are checked in sweeps.test.ts).
    const readsAppSecret = (doc: { Statement: Array<{ Action: string | string[]; Resource: unknown }> }) =>
      doc.Statement.some((s) => [s.Action].flat().some((a) => a.startsWith('secretsmanager:')) && /GitHubApp/.test(JSON.stringify(s.Resource)));
    const readers = [api, templates.builds, templates.edge, templates.console, state].flatMap((t) =>
      Object.values(t.findResources('AWS::IAM::Policy'))
        .filter((p) => readsAppSecret(p.Properties.PolicyDocument))
        .map((p) => p.Properties.Roles),
    );
    const expected = [
      ...['git', 'github-webhook', 'deployments', 'builds'].map((name) => roleRef(stacks.api, stacks.api.functions[name]!)), // the webhook: its own secret
      roleRef(stacks.api, stacks.api.github.worker),
      roleRef(stacks.builds, stacks.builds.buildState),
      roleRef(stacks.builds, stacks.builds.sweepStuck), // reports stuck deployments' end to GitHub
    ];
    expect(readers).toHaveLength(expected.length);
    expect(readers).toEqual(expect.arrayContaining(expected));
  });

  test('its ARN and the webhook URL are stack outputs', () => {
    const secretIds = appSecrets().map(([id]) => id);
    const outputs = state.toJSON().Outputs;
    expect([outputs.GitHubAppSecretArn.Value, outputs.GitHubWebhookSecretArn.Value].sort((a, b) => a.Ref.localeCompare(b.Ref))).toEqual(secretIds.sort().map((id) => ({ Ref: id })));
    expect(outputs.GitHubAppSecretArn.Value.Ref).not.toMatch(/Webhook/);
    expect(api.toJSON().Outputs.GitHubWebhookUrl.Value).toEqual({
      'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^HttpApi/), 'ApiEndpoint'] }, '/webhooks/github']],
    });
  });
});

describe('links and GitHub endpoints', () => {
  const consoleUrl = { 'Fn::Join': ['', ['https://', { 'Fn::ImportValue': expect.stringMatching(/^RunwayConsole:.*DomainName/) }]] };

  test('functions that report to GitHub link to the console', () => {
    expect(apiFn('deployments').env.RUNWAY_CONSOLE_URL).toEqual(consoleUrl);
    expect(worker.env.RUNWAY_CONSOLE_URL).toEqual(consoleUrl);
    expect(buildState.env.RUNWAY_CONSOLE_URL).toEqual(consoleUrl);
  });

  test('github.com by default: no GitHub endpoint variables', () => {
    for (const t of [api, templates.builds]) {
      for (const fn of Object.values(t.findResources('AWS::Lambda::Function'))) {
        expect(Object.keys(fn.Properties.Environment?.Variables ?? {})).not.toContain('RUNWAY_GITHUB_API_URL');
        expect(Object.keys(fn.Properties.Environment?.Variables ?? {})).not.toContain('RUNWAY_GITHUB_WEB_URL');
      }
    }
  });

  const synthWith = (context: Record<string, unknown>) => {
    const app = new App({
      outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'runway-github-')),
      context: { ...cdkContext, 'aws:cdk:bundling-stacks': [], ...context },
    });
    const built = buildRunway(app);
    app.synth();
    return built;
  };

  test('GitHub Enterprise Server: the context URLs reach every function that uses the App', () => {
    const ghe = { apiUrl: 'https://ghe.example.com/api/v3', webUrl: 'https://ghe.example.com' };
    const built = synthWith({ [GITHUB_API_URL_CONTEXT]: ghe.apiUrl, [GITHUB_WEB_URL_CONTEXT]: ghe.webUrl });
    const gheApi = Template.fromStack(built.api);
    const users = [
      ...['git', 'deployments', 'builds'].map((n) => roleOf(built.api, gheApi, built.api.functions[n]!)),
      roleOf(built.api, gheApi, built.api.github.worker),
      roleOf(built.builds, Template.fromStack(built.builds), built.builds.buildState),
    ];
    for (const { env } of users) {
      expect(env).toMatchObject({ RUNWAY_GITHUB_API_URL: ghe.apiUrl, RUNWAY_GITHUB_WEB_URL: ghe.webUrl });
    }
  });

  test('a GitHub URL context that is not an http(s) URL fails synthesis with its key', () => {
    expect(() => synthWith({ [GITHUB_API_URL_CONTEXT]: 'ghe.example.com/api/v3' })).toThrow(GITHUB_API_URL_CONTEXT);
  });
});
