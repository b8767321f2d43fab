import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, test } from 'vitest';
import { buildRunway, PLATFORM_DOMAIN_CONTEXT } from '../../infra/lib/app.ts';
import { EDGE_FUNCTION_SOURCES, EDGE_STORE_WRITE_ACTIONS } from '../../infra/lib/constructs/edge-routing.ts';
import { synthRunway } from './synth.ts';

const { stacks, templates } = synthRunway();
const edge = templates.edge;
const cdkContext = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../../cdk.json'), 'utf8')).context;

/** A second app, synthesized like `synthRunway` but with more context and an optional environment. */
function synthWith(context: Record<string, unknown>, env?: { account: string; region: string }) {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'runway-edge-'));
  const app = new App({ outdir, context: { ...cdkContext, 'aws:cdk:bundling-stacks': [], ...context } });
  const built = buildRunway(app, env);
  app.synth();
  const reportFile = path.join(outdir, 'validation-report.json');
  return {
    stacks: built,
    outdir,
    edge: Template.fromStack(built.edge),
    report: fs.existsSync(reportFile) ? JSON.parse(fs.readFileSync(reportFile, 'utf8')) : undefined,
  };
}

function logicalId(template: Template, type: string, props: Record<string, unknown> = {}): string {
  const found = Object.keys(template.findResources(type, props ? { Properties: props } : {}));
  expect(found, `${type} ${JSON.stringify(props)}`).toHaveLength(1);
  return found[0]!;
}

/** The platform's distribution (the other one is custom domains' tenant-only twin: tests/infra/domains.test.ts). */
function distributionConfig(template: Template): Record<string, any> {
  const platform = Object.values(template.findResources('AWS::CloudFront::Distribution')).filter((d) => d.Properties.DistributionConfig.ConnectionMode === undefined);
  expect(platform).toHaveLength(1);
  return platform[0]!.Properties.DistributionConfig;
}

describe('edge stack: the one distribution', () => {
  test('exactly one platform distribution (and its tenant-only twin), HTTP/2+3 over IPv6, HTTPS only, compressed, every method (functions), caching GET/HEAD', () => {
    edge.resourceCountIs('AWS::CloudFront::Distribution', 2);
    expect(distributionConfig(edge)).toMatchObject({
      HttpVersion: 'http2and3',
      IPV6Enabled: true,
      DefaultCacheBehavior: {
        ViewerProtocolPolicy: 'redirect-to-https',
        Compress: true,
        AllowedMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE'],
        CachedMethods: ['GET', 'HEAD'],
      },
    });
    // The default behavior serves every host; there is nothing per project to add or change.
    expect(distributionConfig(edge).CacheBehaviors).toBeUndefined();
  });

  test('the origin is the state stack\'s artifact bucket, signed through OAC', () => {
    const origins = distributionConfig(edge).Origins;
    const oac = origins[0].OriginAccessControlId['Fn::GetAtt'][0];
    expect(edge.toJSON().Resources[oac].Properties.OriginAccessControlConfig).toMatchObject({ OriginAccessControlOriginType: 's3', SigningBehavior: 'always', SigningProtocol: 'sigv4' });
    expect(origins).toHaveLength(1);
    expect(origins[0]).toMatchObject({
      DomainName: { 'Fn::ImportValue': expect.stringMatching(/^RunwayState:.*ArtifactsBucket.*RegionalDomainName/) },
      OriginAccessControlId: { 'Fn::GetAtt': [oac, 'Id'] },
      S3OriginConfig: { OriginAccessIdentity: '' },
    });
    expect(origins[0].OriginPath).toBeUndefined();
  });

  test('the bucket policy lets CloudFront of this account read blobs/* only (the router names a blob per file)', () => {
    const policies = Object.values(templates.state.findResources('AWS::S3::BucketPolicy'));
    const statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement);
    const cloudfront = statements.filter((s: any) => s.Principal?.Service === 'cloudfront.amazonaws.com');
    expect(cloudfront).toEqual([
      {
        Sid: 'RunwayEdgeReadsBlobs',
        Effect: 'Allow',
        Principal: { Service: 'cloudfront.amazonaws.com' },
        Action: 's3:GetObject',
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^ArtifactsBucket/), 'Arn'] }, '/blobs/*']] },
        Condition: {
          StringEquals: { 'AWS:SourceAccount': { Ref: 'AWS::AccountId' } },
          ArnLike: { 'AWS:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudfront::', { Ref: 'AWS::AccountId' }, ':distribution/*']] } },
        },
      },
    ]);
  });

  test('the cache key is the rewritten URI (naming the deployment) and the query (routes may test it); no Host, headers or cookies; compressed variants allowed', () => {
    const policy = logicalId(edge, 'AWS::CloudFront::CachePolicy');
    edge.hasResourceProperties('AWS::CloudFront::CachePolicy', {
      CachePolicyConfig: Match.objectLike({
        MinTTL: 0,
        DefaultTTL: 365 * 24 * 3600,
        MaxTTL: 365 * 24 * 3600,
        ParametersInCacheKeyAndForwardedToOrigin: {
          HeadersConfig: { HeaderBehavior: 'none' },
          CookiesConfig: { CookieBehavior: 'none' },
          QueryStringsConfig: { QueryStringBehavior: 'all' },
          EnableAcceptEncodingGzip: true,
          EnableAcceptEncodingBrotli: true,
        },
      }),
    });
    expect(distributionConfig(edge).DefaultCacheBehavior.CachePolicyId).toEqual({ Ref: policy });
    // The router sees the viewer's headers, cookies and query, S3 its own Host: the managed
    // AllViewerExceptHostHeader policy (its id is fixed by AWS).
    expect(distributionConfig(edge).DefaultCacheBehavior.OriginRequestPolicyId).toBe('b689b0a8-53d0-40ab-baf2-68738e2966ac');
  });

  test('no invalidations and no custom resources: deploys never touch the distribution', () => {
    const types = Object.values(edge.toJSON().Resources as Record<string, { Type: string }>).map((r) => r.Type);
    expect(types.filter((t) => /Invalidation|^Custom::|CustomResource/.test(t))).toEqual([]);
  });
});

describe('edge stack: CloudFront Functions and the KeyValueStore', () => {
  test('viewer-request and viewer-response run the committed sources on cloudfront-js-2.0', () => {
    for (const [name, file] of [
      ['RoutingViewerRequest', EDGE_FUNCTION_SOURCES.viewerRequest],
      ['RoutingViewerResponse', EDGE_FUNCTION_SOURCES.viewerResponse],
    ] as const) {
      const [id, fn] = Object.entries(edge.findResources('AWS::CloudFront::Function')).find(([k]) => k.startsWith(name))!;
      expect(id).toBeDefined();
      expect(fn.Properties.FunctionCode).toBe(fs.readFileSync(file, 'utf8'));
      expect(fn.Properties.FunctionConfig.Runtime).toBe('cloudfront-js-2.0');
      expect(fn.Properties.AutoPublish).toBe(true);
    }
  });

  test('viewer-request reads the one KeyValueStore; viewer-response needs none', () => {
    const kvs = logicalId(edge, 'AWS::CloudFront::KeyValueStore');
    const fns = Object.entries(edge.findResources('AWS::CloudFront::Function'));
    expect(fns).toHaveLength(2);
    const associations = (prefix: string) => fns.find(([id]) => id.startsWith(prefix))![1].Properties.FunctionConfig.KeyValueStoreAssociations;
    expect(associations('RoutingViewerRequest')).toEqual([{ KeyValueStoreARN: { 'Fn::GetAtt': [kvs, 'Arn'] } }]);
    expect(associations('RoutingViewerResponse')).toBeUndefined();
  });

  test('the default behavior runs viewer-request and viewer-response', () => {
    const fns = edge.findResources('AWS::CloudFront::Function');
    const idOf = (prefix: string) => Object.keys(fns).find((k) => k.startsWith(prefix));
    expect(distributionConfig(edge).DefaultCacheBehavior.FunctionAssociations).toEqual([
      { EventType: 'viewer-request', FunctionARN: { 'Fn::GetAtt': [idOf('RoutingViewerRequest'), 'FunctionARN'] } },
      { EventType: 'viewer-response', FunctionARN: { 'Fn::GetAtt': [idOf('RoutingViewerResponse'), 'FunctionARN'] } },
    ]);
  });

  test('the stack exposes the distribution and the store for other stacks', () => {
    expect(stacks.edge.distribution).toBeDefined();
    expect(stacks.edge.routes).toBe(stacks.edge.routing.store);
  });
});

describe('edge stack: origin-request and origin-response Lambda@Edge', () => {
  const fns = edge.findResources('AWS::Lambda::Function');
  const fnId = (description: RegExp) => Object.keys(fns).find((id) => description.test(fns[id]!.Properties.Description))!;
  const requestId = fnId(/origin-request/);
  const responseId = fnId(/origin-response/);
  const statementsOf = (id: string) => {
    const roleId = fns[id]!.Properties.Role['Fn::GetAtt'][0];
    return Object.values(edge.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes(roleId))
      .flatMap((p) => p.Properties.PolicyDocument.Statement);
  };

  test('the router at origin-request (cache misses only), the headers at origin-response, each through a published version', () => {
    const versionOf = (id: string) => logicalId(edge, 'AWS::Lambda::Version', { FunctionName: { Ref: id } });
    expect(distributionConfig(edge).DefaultCacheBehavior.LambdaFunctionAssociations).toEqual([
      // With the body: a function's request is signed, body hash included (edge/function-origin.ts).
      { EventType: 'origin-request', IncludeBody: true, LambdaFunctionARN: { Ref: versionOf(requestId) } },
      { EventType: 'origin-response', LambdaFunctionARN: { Ref: versionOf(responseId) } },
    ]);
  });

  test.each([['origin-request', () => requestId], ['origin-response', () => responseId]])('%s meets Lambda@Edge limits: Node.js on x86_64, no environment variables, at most 30 s', (_, id) => {
    const fn = fns[id()]!;
    expect(fn.Properties.Runtime).toMatch(/^nodejs\d+\.x$/);
    expect(fn.Properties.Architectures).toEqual(['x86_64']);
    expect(fn.Properties.Environment).toBeUndefined();
    expect(fn.Properties.Timeout).toBeLessThanOrEqual(30);
    expect(fn.Properties.TracingConfig).toBeUndefined();
    const roleId = fn.Properties.Role['Fn::GetAtt'][0];
    expect(edge.findResources('AWS::IAM::Role')[roleId]!.Properties.AssumeRolePolicyDocument.Statement[0].Principal.Service).toEqual(
      expect.arrayContaining(['edgelambda.amazonaws.com', 'lambda.amazonaws.com']),
    );
  });

  test("the router may only GetObject deployment indexes (routes/*) and function URL maps (functions/*), and invoke users' functions (runway-fn-*); origin-response reads nothing", () => {
    const fnArn = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':lambda:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':function:runway-fn-*']] };
    const objects = (prefix: string) => ({ 'Fn::Join': ['', [{ 'Fn::ImportValue': expect.stringMatching(/ArtifactsBucket.*Arn/) }, prefix]] });
    const statements = statementsOf(requestId);
    expect(statements).toHaveLength(3);
    expect(statements).toEqual(
      expect.arrayContaining([
        // CDK merges the two GetObject grants into one statement.
        { Effect: 'Allow', Action: 's3:GetObject', Resource: expect.arrayContaining([objects('/routes/*'), objects('/functions/*')]) },
        { Effect: 'Allow', Action: 'lambda:InvokeFunctionUrl', Resource: fnArn, Condition: { StringEquals: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } } },
        { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: fnArn },
      ]),
    );
    expect(statements[0]!.Resource).toHaveLength(2);
    expect(statementsOf(responseId)).toEqual([]);
  });

});

describe('edge stack: region and domain', () => {
  test('the template refuses any region but us-east-1', () => {
    expect(edge.toJSON().Rules.DeployToUsEast1).toEqual({
      Assertions: [{ Assert: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'us-east-1'] }, AssertDescription: expect.stringContaining('us-east-1') }],
    });
  });

  test('synthesizing for another region fails with the reason', () => {
    expect(() => synthWith({ [PLATFORM_DOMAIN_CONTEXT]: 'localhost' }, { account: '123456789012', region: 'eu-west-1' })).toThrow(
      /RunwayEdge must be deployed to us-east-1/,
    );
  });

  test('with the localhost default there is no certificate and no alternate domain name', () => {
    edge.resourceCountIs('AWS::CertificateManager::Certificate', 0);
    expect(distributionConfig(edge).Aliases).toBeUndefined();
    expect(distributionConfig(edge).ViewerCertificate).toBeUndefined();
  });

  describe(`with ${PLATFORM_DOMAIN_CONTEXT}=apps.example.com`, () => {
    const withDomain = synthWith({ [PLATFORM_DOMAIN_CONTEXT]: 'apps.example.com' });

    test('a DNS-validated wildcard + apex certificate serves both names', () => {
      const cert = logicalId(withDomain.edge, 'AWS::CertificateManager::Certificate', {
        DomainName: '*.apps.example.com',
        SubjectAlternativeNames: ['apps.example.com'],
        ValidationMethod: 'DNS',
      });
      const config = distributionConfig(withDomain.edge);
      expect(config.Aliases).toEqual(['*.apps.example.com', 'apps.example.com']);
      expect(config.ViewerCertificate).toEqual({ AcmCertificateArn: { Ref: cert }, MinimumProtocolVersion: 'TLSv1.2_2021', SslSupportMethod: 'sni-only' });
    });

    test('is cdk-nag and cfn-lint clean too', () => {
      expect(withDomain.report).toMatchObject({ pluginReports: [] });
      const run = spawnSync('cfn-lint', ['--', path.join(withDomain.outdir, 'RunwayEdge.template.json')], { encoding: 'utf8' });
      expect(run.error, 'cfn-lint must be installed (pip install cfn-lint)').toBeUndefined();
      expect(run.stdout + run.stderr).toBe('');
    });
  });
});

describe('control-plane access to the KeyValueStore', () => {
  const kvsExport = expect.stringMatching(/^RunwayEdge:.*RoutingStore.*Arn/);
  const policiesOf = (template: Template, roleRef: string) =>
    Object.values(template.findResources('AWS::IAM::Policy')).filter((p) => JSON.stringify(p.Properties.Roles).includes(roleRef));
  const writers = [
    ['api', 'aliases'],
    ['api', 'projects'],
    ['builds', 'buildState'],
  ] as const;

  test.each(writers)('%s %s may describe, put, delete and get keys of the store, and knows its ARN', (stack, name) => {
    const fn = stack === 'api' ? stacks.api.functions[name]! : stacks.builds.buildState;
    const template = templates[stack];
    const roleRef = stacks[stack].getLogicalId(fn.role!.node.defaultChild as never);
    const statements = policiesOf(template, roleRef).flatMap((p) => p.Properties.PolicyDocument.Statement);
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: [...EDGE_STORE_WRITE_ACTIONS].sort(),
      Resource: { 'Fn::ImportValue': kvsExport },
    });
    const [resource] = Object.values(template.findResources('AWS::Lambda::Function', {
      Properties: { Role: { 'Fn::GetAtt': [roleRef, 'Arn'] } },
    }));
    expect(resource!.Properties.Environment.Variables.RUNWAY_EDGE_KVS_ARN).toEqual({ 'Fn::ImportValue': kvsExport });
  });

  test('the read-only health function gets no KeyValueStore access', () => {
    const fn = stacks.api.functions.health!;
    const roleRef = stacks.api.getLogicalId(fn.role!.node.defaultChild as never);
    const actions = policiesOf(templates.api, roleRef).flatMap((p) => p.Properties.PolicyDocument.Statement.flatMap((s: { Action: string | string[] }) => [s.Action].flat()));
    expect(actions.filter((a) => a.startsWith('cloudfront-keyvaluestore:'))).toEqual([]);
  });
});
