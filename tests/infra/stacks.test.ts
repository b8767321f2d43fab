import { LAMBDA_RUNTIME } from '../../infra/lib/bundling.ts';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, test } from 'vitest';
import { DEFAULT_ROUTE, HTTP_ROUTES, routeKey } from '../../functions/src/handlers/http/routes.ts';
import { synthRunway } from './synth.ts';

const { stacks, templates } = synthRunway();

test('the app has the state, api, builds, edge and console stacks', () => {
  expect(Object.values(stacks).map((s) => s.stackName).sort()).toEqual(
    ['RunwayApi', 'RunwayBuilds', 'RunwayConsole', 'RunwayEdge', 'RunwayState'],
  );
});

describe('state stack', () => {
  const t = templates.state;
  test('control-plane table: pk/sk, two overloaded GSIs and the sparse gsi3, on-demand, PITR, TTL', () => {
    t.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      GlobalSecondaryIndexes: [
        Match.objectLike({ IndexName: 'gsi1', KeySchema: [{ AttributeName: 'gsi1pk', KeyType: 'HASH' }, { AttributeName: 'gsi1sk', KeyType: 'RANGE' }] }),
        Match.objectLike({ IndexName: 'gsi2', KeySchema: [{ AttributeName: 'gsi2pk', KeyType: 'HASH' }, { AttributeName: 'gsi2sk', KeyType: 'RANGE' }] }),
        Match.objectLike({ IndexName: 'gsi3', KeySchema: [{ AttributeName: 'gsi3pk', KeyType: 'HASH' }, { AttributeName: 'gsi3sk', KeyType: 'RANGE' }] }),
      ],
    });
  });

  test('stateful resources are retained when the stack is deleted', () => {
    const tables = t.findResources('AWS::DynamoDB::Table', { Properties: { KeySchema: Match.arrayWith([{ AttributeName: 'sk', KeyType: 'RANGE' }]) } });
    expect(Object.values(tables).map((r) => r.DeletionPolicy)).toEqual(['Retain']);
    expect(Object.values(t.findResources('AWS::S3::Bucket')).map((r) => r.DeletionPolicy)).toEqual(['Retain']);
  });

  test('artifact bucket is private, encrypted and TLS-only', () => {
    t.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      BucketEncryption: Match.objectLike({}),
    });
    t.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  test('env-var key rotates', () => {
    t.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });
});

describe('api stack', () => {
  const t = templates.api;
  test('every route of the shared route table is an API Gateway route, plus $default', () => {
    const keys = Object.values(t.findResources('AWS::ApiGatewayV2::Route')).map((r) => r.Properties.RouteKey).sort();
    expect(keys).toEqual([...HTTP_ROUTES.map(routeKey), DEFAULT_ROUTE.key].sort());
  });

  test('requests no route matches go to the not-found handler (the error shape), not API Gateway\'s own 404', () => {
    const routes = Object.values(t.findResources('AWS::ApiGatewayV2::Route'));
    const fallback = routes.find((r) => r.Properties.RouteKey === '$default');
    const integrationId = (fallback!.Properties.Target['Fn::Join'][1] as unknown[]).at(-1) as { Ref: string };
    const integration = t.findResources('AWS::ApiGatewayV2::Integration')[integrationId.Ref]!;
    const fnId = stacks.api.getLogicalId(stacks.api.functions[DEFAULT_ROUTE.handler]!.node.defaultChild as never);
    expect(JSON.stringify(integration.Properties.IntegrationUri)).toContain(fnId);
  });

  test('functions run Node.js 22 or newer on arm64 with tracing', () => {
    // All but CDK's BucketDeployment handler, which publishes the console (see console stack).
    const fns = Object.entries(t.findResources('AWS::Lambda::Function'))
      .filter(([id]) => !id.startsWith('CustomCDKBucketDeployment'))
      .map(([, fn]) => fn);
    expect(fns.length).toBeGreaterThan(0);
    for (const fn of fns) {
      expect(fn.Properties.Runtime).toMatch(/^nodejs(2[2-9]|[3-9]\d)\.x$/);
      // One runtime for every control-plane function, the one their bundles are built for.
      expect(fn.Properties.Runtime).toBe(LAMBDA_RUNTIME);
      expect(fn.Properties.Architectures).toEqual(['arm64']);
      expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
    }
  });

  test('the default stage throttles and writes access logs', () => {
    t.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      AccessLogSettings: Match.objectLike({ DestinationArn: Match.anyValue() }),
    });
  });

  test('the health function can only read', () => {
    const role = stacks.api.functions.health!.role!;
    const policies = Object.values(t.findResources('AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p.Properties.Roles).includes(stacks.api.getLogicalId(role.node.defaultChild as never)),
    );
    const actions = policies.flatMap((p) => p.Properties.PolicyDocument.Statement.flatMap((s: { Action: string | string[] }) => [s.Action].flat()));
    expect(actions.length).toBeGreaterThan(0);
    for (const action of actions) expect(action).toMatch(/^(dynamodb:GetItem|s3:(Get|List)\w*\*?|xray:\w+)$/);
  });
});

describe('console stack', () => {
  const t = templates.console;
  test('the site bucket is private and read only by CloudFront through OAC', () => {
    t.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
    });
    t.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    t.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Allow', Principal: { Service: 'cloudfront.amazonaws.com' }, Action: 's3:GetObject' }),
        ]),
      },
    });
    t.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({ DefaultCacheBehavior: Match.objectLike({ ViewerProtocolPolicy: 'redirect-to-https' }) }),
    });
  });
});
