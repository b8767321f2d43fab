import { Match, type Template } from 'aws-cdk-lib/assertions';
import { describe, expect, test } from 'vitest';
import { HTTP_ROUTES, routeKey } from '../../functions/src/handlers/http/routes.ts';
import { isPaged, type AnyRoute } from '../../functions/src/lib/http.ts';
import type { RunwayFunction } from '../../infra/lib/constructs/runway-function.ts';
import { PAGED_HANDLERS } from '../../infra/lib/stacks/api-stack.ts';
import { synthRunway } from './synth.ts';

/**
 * The scheduled sweeps (stuck deployments, hosts nobody owns) and the list-cursor key: schedules,
 * configuration and least-privilege grants.
 */
const { stacks, templates } = synthRunway();
const builds = templates.builds;

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

function roleRefOf(stack: 'builds' | 'api', fn: RunwayFunction): string {
  return stacks[stack].getLogicalId(fn.role!.node.defaultChild as never);
}

function statementsOf(template: Template, roleRef: string): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(roleRef))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

const actions = (statements: Statement[]) => statements.flatMap((s) => [s.Action].flat()).filter((a) => !a.startsWith('xray:'));

function envOf(template: Template, roleRef: string): Record<string, unknown> {
  const [fn] = Object.values(template.findResources('AWS::Lambda::Function', { Properties: { Role: { 'Fn::GetAtt': [roleRef, 'Arn'] } } }));
  return fn!.Properties.Environment.Variables;
}

function ruleTargeting(fn: RunwayFunction) {
  const fnId = stacks.builds.getLogicalId(fn.node.defaultChild as never);
  const rules = Object.values(builds.findResources('AWS::Events::Rule')).filter((r) => JSON.stringify(r.Properties.Targets).includes(fnId));
  expect(rules).toHaveLength(1);
  return rules[0]!.Properties;
}

describe('the stuck-deployment sweep', () => {
  const fn = stacks.builds.sweepStuck;
  const role = roleRefOf('builds', fn);

  test('runs every 5 minutes on an EventBridge schedule, with its handler', () => {
    expect(ruleTargeting(fn)).toMatchObject({ ScheduleExpression: 'rate(5 minutes)', State: 'ENABLED' });
    builds.hasResourceProperties('AWS::Lambda::Function', { Handler: 'index.handler', Environment: { Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: 'sweep-stuck' }) } });
  });

  test("knows the builds' limits: CodeBuild Lambda compute's 15 minutes, and the queue's hour", () => {
    expect(envOf(builds, role)).toMatchObject({ RUNWAY_BUILD_LIMIT_MINUTES: '15', RUNWAY_BUILD_QUEUE_LIMIT_MINUTES: '60' });
  });

  test('backfills deployment indexes: lists and reads the edge store (never writes it), reads manifests and indexes, writes indexes only', () => {
    const statements = statementsOf(builds, role);
    const kvs = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('cloudfront-keyvaluestore:')));
    expect(kvs.flatMap((s) => [s.Action].flat()).sort()).toEqual(['cloudfront-keyvaluestore:GetKey', 'cloudfront-keyvaluestore:ListKeys']);
    expect(envOf(builds, role)).toHaveProperty('RUNWAY_EDGE_KVS_ARN');
    const s3 = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('s3:')));
    const objects = s3.flatMap((s) => [s.Resource].flat()).map((r) => JSON.stringify(r)).filter((r) => r.includes('/'));
    expect(objects.every((r) => /\/manifests\/\*|\/routes\/\*/.test(r))).toBe(true);
    const writes = s3.filter((s) => [s.Action].flat().some((a) => /^s3:(Put|Delete)/.test(a)));
    expect(writes.length).toBeGreaterThan(0);
    for (const w of writes) expect(JSON.stringify(w.Resource)).toMatch(/\/routes\/\*/);
    expect(s3.flatMap((s) => [s.Action].flat()).some((a) => a.startsWith('s3:Delete'))).toBe(false);
  });

  test('may stop builds of the builder project (never start one), use the table, report as the GitHub App — nothing else', () => {
    const statements = statementsOf(builds, role);
    const codebuild = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('codebuild:')));
    expect(codebuild.map((s) => s.Action)).toEqual(['codebuild:StopBuild']);
    expect(JSON.stringify(codebuild[0]!.Resource)).toMatch(/BuilderProject/);
    const services = new Set(actions(statements).map((a) => a.split(':')[0]));
    expect([...services].sort()).toEqual(['cloudfront-keyvaluestore', 'codebuild', 'dynamodb', 's3', 'secretsmanager']);
    expect(actions(statements).filter((a) => a.startsWith('secretsmanager:'))).toEqual(expect.arrayContaining(['secretsmanager:GetSecretValue']));
    // The secret it reads is the GitHub App's, by its ARN, nothing wider.
    for (const s of statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('secretsmanager:')))) expect(JSON.stringify(s.Resource)).toMatch(/GitHubApp/);
  });
});

describe('the host sweep', () => {
  const fn = stacks.builds.sweepHosts;
  const role = roleRefOf('builds', fn);

  test('runs every 6 hours on an EventBridge schedule, for up to 15 minutes', () => {
    expect(ruleTargeting(fn)).toMatchObject({ ScheduleExpression: 'rate(6 hours)', State: 'ENABLED' });
    const [resource] = Object.values(builds.findResources('AWS::Lambda::Function', { Properties: { Role: { 'Fn::GetAtt': [role, 'Arn'] } } }));
    expect(resource!.Properties.Timeout).toBe(900);
  });

  test("may list, read, write and delete keys of the edge's KeyValueStore only, and the table; no bucket, key, secret or build", () => {
    const statements = statementsOf(builds, role);
    const kvs = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('cloudfront-keyvaluestore:')));
    expect(kvs).toHaveLength(1);
    expect([kvs[0]!.Action].flat().sort()).toEqual(
      ['DeleteKey', 'DescribeKeyValueStore', 'GetKey', 'ListKeys', 'PutKey'].map((a) => `cloudfront-keyvaluestore:${a}`).sort(),
    );
    expect(kvs[0]!.Resource).toEqual({ 'Fn::ImportValue': expect.stringMatching(/^RunwayEdge:.*RoutingStore.*Arn/) });
    expect([...new Set(actions(statements).map((a) => a.split(':')[0]))].sort()).toEqual(['cloudfront-keyvaluestore', 'dynamodb']);
    expect(envOf(builds, role).RUNWAY_EDGE_KVS_ARN).toEqual({ 'Fn::ImportValue': expect.stringMatching(/RoutingStore/) });
  });
});

describe('the table', () => {
  test('has the sparse gsi3 the stuck sweep reads (deployments in flight only)', () => {
    templates.state.hasResourceProperties('AWS::DynamoDB::Table', {
      GlobalSecondaryIndexes: Match.arrayWith([
        Match.objectLike({ IndexName: 'gsi3', KeySchema: [{ AttributeName: 'gsi3pk', KeyType: 'HASH' }, { AttributeName: 'gsi3sk', KeyType: 'RANGE' }] }),
      ]),
    });
  });
});

describe('the list-cursor key', () => {
  test('is a generated secret of the state stack', () => {
    templates.state.hasResourceProperties('AWS::SecretsManager::Secret', {
      Description: Match.stringLikeRegexp('list cursors'),
      GenerateSecretString: Match.objectLike({ PasswordLength: 64, ExcludePunctuation: true }),
    });
  });

  test('exactly the API handlers that answer lists with a cursor can read it (and know its ARN)', async () => {
    const paged = new Set<string>();
    for (const r of HTTP_ROUTES) {
      const mod = (await import(`../../functions/src/handlers/http/${r.handler}.ts`)) as { routes: Record<string, AnyRoute> };
      const def = mod.routes[routeKey(r)]!;
      if (isPaged(def) && def.query && 'cursor' in ((def.query as unknown as { shape?: object }).shape ?? {})) paged.add(r.handler);
    }
    expect([...paged].sort()).toEqual([...PAGED_HANDLERS].sort());
    for (const [name, fn] of Object.entries(stacks.api.functions)) {
      const role = roleRefOf('api', fn);
      const reads = statementsOf(templates.api, role).filter((s) => JSON.stringify(s.Resource).includes('CursorKey'));
      expect(reads.length > 0, name).toBe(PAGED_HANDLERS.has(name));
      expect('RUNWAY_CURSOR_SECRET_ID' in envOf(templates.api, role), name).toBe(PAGED_HANDLERS.has(name));
    }
  });
});
