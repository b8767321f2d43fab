import type { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, test } from 'vitest';
import { synthRunway } from './synth.ts';

/**
 * Users' functions in AWS: the execution role grants logs only; Function URLs are callable only
 * through the edge (the origin-request role, SigV4); the control plane may create functions only
 * under the `runway-fn-` prefix with one pass-role; the GC job is scheduled; Lambda@Edge sees the
 * body it signs.
 */
const { stacks, templates, validationReport } = synthRunway();
const { api, builds, edge } = templates;

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

const actionsOf = (s: Statement) => [s.Action].flat();
const str = (v: unknown) => JSON.stringify(v);

/** Statements of a role: its inline policies and the AWS::IAM::Policy resources attached to it. */
function statementsOfRole(template: Template, roleLogicalId: string): Statement[] {
  const role = template.findResources('AWS::IAM::Role')[roleLogicalId]!;
  const inline = ((role.Properties.Policies ?? []) as Array<{ PolicyDocument: { Statement: Statement[] } }>).flatMap((p) => p.PolicyDocument.Statement);
  const attached = Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => str(p.Properties.Roles).includes(`"${roleLogicalId}"`))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
  return [...inline, ...attached];
}

const logicalId = (stack: 'api' | 'builds' | 'edge', construct: { node: { defaultChild?: unknown } }) => stacks[stack].getLogicalId(construct.node.defaultChild as never);

describe('the function execution role', () => {
  const roleId = logicalId('builds', stacks.builds.userFunctions.executionRole);
  const statements = statementsOfRole(builds, roleId);

  test('is assumed by Lambda and grants only writing logs of runway-fn-* log groups, from users’ functions only', () => {
    const role = builds.findResources('AWS::IAM::Role')[roleId]!;
    expect(str(role.Properties.AssumeRolePolicyDocument)).toContain('lambda.amazonaws.com');
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    expect(statements.flatMap(actionsOf).sort()).toEqual(['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents']);
    for (const s of statements) {
      expect(s.Effect).toBe('Allow');
      for (const resource of [s.Resource].flat()) expect(str(resource)).toContain(':log-group:/aws/lambda/runway-fn-*');
      expect(str(s.Condition?.ArnLike?.['lambda:SourceFunctionArn'])).toContain(':function:runway-fn-*');
    }
  });

  test('no other policy names it (nothing grants it a table, bucket, key or secret later)', () => {
    for (const template of Object.values(templates)) {
      const extra = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) => str(p.Properties.Roles).includes(`"${roleId}"`));
      expect(extra).toEqual([]);
    }
  });
});

describe('Function URLs are unusable except through the edge', () => {
  test('no Function URL of the stacks has AuthType NONE; no resource policy opens users’ functions', () => {
    for (const template of Object.values(templates)) {
      for (const url of Object.values(template.findResources('AWS::Lambda::Url'))) expect(url.Properties.AuthType).not.toBe('NONE');
      for (const permission of Object.values(template.findResources('AWS::Lambda::Permission'))) {
        expect(str(permission.Properties)).not.toContain('runway-fn-');
        expect(permission.Properties.FunctionUrlAuthType).not.toBe('NONE');
      }
    }
  });

  test('only the origin-request role may invoke users’ functions: InvokeFunctionUrl on AWS_IAM URLs and InvokeFunction, on runway-fn-* only', () => {
    const invokers: string[] = [];
    for (const [name, template] of Object.entries(templates)) {
      for (const [id, policy] of Object.entries(template.findResources('AWS::IAM::Policy'))) {
        const statements = policy.Properties.PolicyDocument.Statement as Statement[];
        if (statements.some((s) => actionsOf(s).some((a) => a === 'lambda:InvokeFunctionUrl' || a === 'lambda:InvokeFunction' || a === 'lambda:*'))) invokers.push(`${name}/${id}`);
      }
    }
    const originRequestRole = logicalId('edge', stacks.edge.node.findChild('OriginRequest').node.findChild('Function').node.findChild('ServiceRole') as never);
    const originRequest = statementsOfRole(edge, originRequestRole);
    expect(invokers).toHaveLength(1);
    expect(invokers[0]).toMatch(/^edge\//);
    const url = originRequest.find((s) => actionsOf(s).includes('lambda:InvokeFunctionUrl'))!;
    expect(str(url.Resource)).toContain(':function:runway-fn-*');
    expect(url.Condition).toEqual({ StringEquals: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } });
    const invoke = originRequest.find((s) => actionsOf(s).includes('lambda:InvokeFunction'))!;
    expect(str(invoke.Resource)).toContain(':function:runway-fn-*');
    // It reads the URL maps, and no other new part of the bucket.
    expect(originRequest.filter((s) => actionsOf(s).includes('s3:GetObject')).map((s) => str(s.Resource)).join()).toMatch(/routes\/\*.*functions\/\*|functions\/\*.*routes\/\*/);
  });

  test('the origin-request trigger includes the body (to sign it) and the distributions allow every method', () => {
    for (const dist of Object.values(edge.findResources('AWS::CloudFront::Distribution'))) {
      const behavior = dist.Properties.DistributionConfig.DefaultCacheBehavior;
      const originRequest = (behavior.LambdaFunctionAssociations as Array<{ EventType: string; IncludeBody?: boolean }>).find((a) => a.EventType === 'origin-request');
      expect(originRequest?.IncludeBody).toBe(true);
      expect(behavior.AllowedMethods.sort()).toEqual(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT']);
    }
  });
});

describe('the control plane creates functions only under runway-fn- with one pass-role', () => {
  const roleId = logicalId('builds', stacks.builds.buildState.role as never);
  const statements = statementsOfRole(builds, roleId);
  const lambdaStatements = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('lambda:')));

  test('lambda actions are on runway-fn-* (and the launcher layer), never *', () => {
    expect(lambdaStatements.flatMap(actionsOf)).toEqual(expect.arrayContaining(['lambda:CreateFunction', 'lambda:CreateFunctionUrlConfig', 'lambda:TagResource', 'lambda:GetLayerVersion']));
    for (const s of lambdaStatements) {
      const resources = [s.Resource].flat();
      expect(resources).not.toContain('*');
      if (!actionsOf(s).includes('lambda:GetLayerVersion')) for (const r of resources) expect(str(r)).toContain(':function:runway-fn-*');
    }
  });

  test('iam:PassRole names exactly the function execution role, passed to Lambda only', () => {
    const pass = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('iam:')));
    expect(pass).toHaveLength(1);
    expect(actionsOf(pass[0]!)).toEqual(['iam:PassRole']);
    expect(str(pass[0]!.Resource)).toContain(logicalId('builds', stacks.builds.userFunctions.executionRole));
    expect(pass[0]!.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'lambda.amazonaws.com' } });
  });

  test('knows the role and the launcher layer', () => {
    const fnId = logicalId('builds', stacks.builds.buildState);
    const env = builds.findResources('AWS::Lambda::Function')[fnId]!.Properties.Environment.Variables;
    expect(str(env.RUNWAY_FUNCTION_ROLE_ARN)).toContain(logicalId('builds', stacks.builds.userFunctions.executionRole));
    expect(str(env.RUNWAY_FUNCTION_LAYER_ARN)).toContain(logicalId('builds', stacks.builds.userFunctions.launcherLayer as never));
  });
});

describe('function GC', () => {
  const gc = stacks.builds.userFunctions.gc;
  const fnId = logicalId('builds', gc);

  test('runs daily on an EventBridge schedule with the retention window (30 days by default)', () => {
    const rules = Object.values(builds.findResources('AWS::Events::Rule')).filter((r) => str(r.Properties.Targets).includes(fnId));
    expect(rules).toHaveLength(1);
    expect(rules[0]!.Properties).toMatchObject({ ScheduleExpression: 'rate(1 day)', State: 'ENABLED' });
    const env = builds.findResources('AWS::Lambda::Function')[fnId]!.Properties.Environment.Variables;
    expect(env).toMatchObject({ RUNWAY_FUNCTION_RETENTION_DAYS: '30', POWERTOOLS_SERVICE_NAME: 'gc-functions' });
  });

  test('may delete users’ functions only, list functions, and read (not write) the table', () => {
    const statements = statementsOfRole(builds, logicalId('builds', gc.role as never));
    const del = statements.find((s) => actionsOf(s).includes('lambda:DeleteFunction'))!;
    expect(str(del.Resource)).toContain(':function:runway-fn-*');
    expect(statements.flatMap(actionsOf)).not.toContain('lambda:CreateFunction');
    expect(statements.flatMap(actionsOf)).not.toContain('dynamodb:PutItem');
  });
});

describe('the launcher layer', () => {
  test('is compatible with every runtime a function may name, on both architectures', () => {
    const [layer] = Object.values(builds.findResources('AWS::Lambda::LayerVersion'));
    expect(layer!.Properties.CompatibleRuntimes.sort()).toEqual(['nodejs20.x', 'nodejs22.x', 'nodejs24.x']);
    expect(layer!.Properties.CompatibleArchitectures.sort()).toEqual(['arm64', 'x86_64']);
  });
});

describe('function logs (GET /v1/deployments/{id}/logs)', () => {
  const roleId = logicalId('api', stacks.api.functions['deployment-events']!.role as never);
  const statements = statementsOfRole(api, roleId);
  const onUserLogGroups = statements.filter((s) => str(s.Resource).includes('/aws/lambda/'));

  test('the handler serving it may FilterLogEvents — the CloudWatch adapter’s only call — on runway-fn-* log groups only', () => {
    expect(onUserLogGroups.flatMap(actionsOf)).toEqual(['logs:FilterLogEvents']);
    for (const s of onUserLogGroups) {
      expect(s.Effect).toBe('Allow');
      for (const resource of [s.Resource].flat()) expect(str(resource)).toMatch(/:log-group:\/aws\/lambda\/runway-fn-\*"\]*\}?$/);
    }
    // Nothing else may read users' logs.
    for (const [name, template] of Object.entries(templates)) {
      const readers = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
        (p.Properties.PolicyDocument.Statement as Statement[]).some((st) => actionsOf(st).includes('logs:FilterLogEvents') && str(st.Resource).includes('runway-fn-')),
      );
      expect(readers.length, name).toBe(name === 'api' ? 1 : 0);
    }
  });

  test('cdk-nag has no unacknowledged finding', () => {
    expect(validationReport).toMatchObject({ pluginReports: [] });
  });
});
