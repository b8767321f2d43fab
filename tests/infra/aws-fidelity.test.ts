import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, test } from 'vitest';
import { API_CORS, UPLOAD_CORS } from '../../functions/src/handlers/http/cors.ts';
import { DEFAULT_ROUTE, HTTP_ROUTES, routeKey } from '../../functions/src/handlers/http/routes.ts';
import { LAMBDA_COMPUTE_MAX_MINUTES } from '../../functions/src/builder/limits.ts';
import {
  BUILD_COMPUTE_CONTEXT,
  BUILD_TIMEOUT_CONTEXT,
  buildRunway,
  CONSOLE_URL_CONTEXT,
  HOSTED_ZONE_ID_CONTEXT,
  HOSTED_ZONE_NAME_CONTEXT,
  PLATFORM_DOMAIN_CONTEXT,
} from '../../infra/lib/app.ts';
import { EDGE_FUNCTION_SOURCES } from '../../infra/lib/constructs/edge-routing.ts';
import { synthRunway } from './synth.ts';

/**
 * What must hold for a `cdk deploy` to work at first use in AWS (issue #16): the console is
 * published and reachable below `/`, CORS comes from the shared definition, uploads do not pass
 * through Lambda, redeploys and destroys are safe, builds stop inside the compute's ceiling, and
 * a Route 53 zone can do the DNS work.
 */
const { stacks, templates } = synthRunway();
const cdkContext = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../../cdk.json'), 'utf8')).context;

/** Synthesizes the app with more context (no bundling), optionally bound to an account; once per input. */
const synthesized = new Map<string, ReturnType<typeof synthOnce>>();
function synthWith(context: Record<string, unknown>, env?: { account: string; region: string }) {
  const key = JSON.stringify([context, env]);
  if (!synthesized.has(key)) synthesized.set(key, synthOnce(context, env));
  return synthesized.get(key)!;
}

function synthOnce(context: Record<string, unknown>, env?: { account: string; region: string }) {
  const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'runway-fidelity-')), context: { ...cdkContext, 'aws:cdk:bundling-stacks': [], ...context } });
  const built = buildRunway(app, env);
  app.synth();
  return { stacks: built, template: (name: keyof typeof built) => Template.fromStack(built[name]) };
}

const ACCOUNT = { account: '123456789012', region: 'us-east-1' };

function only<T>(found: Record<string, T>): [string, T] {
  const entries = Object.entries(found);
  expect(entries).toHaveLength(1);
  return entries[0]!;
}

describe('1. the console is published in AWS', () => {
  test('the API stack deploys the site build and a config.json naming the API into the console bucket', () => {
    const props = only(templates.api.findResources('Custom::CDKBucketDeployment'))[1].Properties;
    expect(props.DestinationBucketName).toEqual({ 'Fn::ImportValue': expect.stringMatching(/^RunwayConsole:.*Site/) });
    // Two sources: the Astro build and the generated config.json, whose one deploy-time value is the API's URL.
    expect(props.SourceObjectKeys).toHaveLength(2);
    const apiId = only(templates.api.findResources('AWS::ApiGatewayV2::Api'))[0];
    expect(props.SourceMarkers).toEqual([{}, { '<<marker:0xbaba:0>>': { 'Fn::GetAtt': [apiId, 'ApiEndpoint'] } }]);
    expect(props.Prune).toBe(true);
    // Pages and config.json are revalidated, so an update needs no invalidation.
    expect(props.SystemMetadata).toEqual({ 'cache-control': 'public, max-age=0, must-revalidate' });
  });

  test('the console stack references no other stack (API → console only: no cycle)', () => {
    expect(JSON.stringify(templates.console.toJSON())).not.toContain('Fn::ImportValue');
  });

  test('a viewer-request function maps directory paths to index.html on the console distribution', () => {
    const [fnId, fn] = only(templates.console.findResources('AWS::CloudFront::Function'));
    expect(fn.Properties.FunctionCode).toBe(fs.readFileSync(EDGE_FUNCTION_SOURCES.consoleRequest, 'utf8'));
    expect(fn.Properties.FunctionConfig.Runtime).toBe('cloudfront-js-2.0');
    const [, distribution] = only(templates.console.findResources('AWS::CloudFront::Distribution'));
    const config = distribution.Properties.DistributionConfig;
    expect(config.DefaultCacheBehavior.FunctionAssociations).toEqual([{ EventType: 'viewer-request', FunctionARN: { 'Fn::GetAtt': [fnId, 'FunctionARN'] } }]);
    expect(config.DefaultRootObject).toBe('index.html');
    expect(config.CustomErrorResponses).toEqual([expect.objectContaining({ ErrorCode: 403, ResponseCode: 404, ResponsePagePath: '/404.html' })]);
  });

  test('the console has the 404 page its distribution answers with', () => {
    expect(fs.existsSync(path.resolve(import.meta.dirname, '../../site/src/pages/404.astro'))).toBe(true);
  });
});

describe('2. CORS from one source', () => {
  test("the HTTP API's corsPreflight is API_CORS, allowing the console's origin", () => {
    const [, httpApi] = only(templates.api.findResources('AWS::ApiGatewayV2::Api'));
    expect(httpApi.Properties.CorsConfiguration).toEqual({
      AllowOrigins: [{ 'Fn::Join': ['', ['https://', { 'Fn::ImportValue': expect.stringMatching(/^RunwayConsole:.*Cdn.*DomainName/) }]] }],
      AllowMethods: [...API_CORS.allowMethods],
      AllowHeaders: [...API_CORS.allowHeaders],
      ExposeHeaders: [...API_CORS.exposeHeaders],
      MaxAge: API_CORS.maxAgeSeconds,
    });
    expect(API_CORS.allowHeaders).toEqual(expect.arrayContaining(['authorization', 'content-type']));
  });

  test('preflights: with CORS configured and a $default route, every preflight reaches $default (no OPTIONS route, no authorizer), whose function answers it 204', () => {
    const [, httpApi] = only(templates.api.findResources('AWS::ApiGatewayV2::Api'));
    expect(httpApi.Properties.CorsConfiguration.AllowHeaders).toContain('authorization');
    const routes = Object.values(templates.api.findResources('AWS::ApiGatewayV2::Route')).map((r) => r.Properties);
    expect(routes.map((r) => r.RouteKey).sort()).toEqual([...HTTP_ROUTES.map(routeKey), DEFAULT_ROUTE.key].sort());
    // "The $default route catches requests for all methods and routes that you haven't explicitly
    // defined, including OPTIONS requests" (http-api-cors.html): none is an OPTIONS route, so
    // preflights go to $default, which must be reachable without a token.
    expect(routes.filter((r) => /^(OPTIONS|ANY) /.test(r.RouteKey))).toEqual([]);
    const fallback = routes.find((r) => r.RouteKey === DEFAULT_ROUTE.key)!;
    expect(fallback.AuthorizationType ?? 'NONE').toBe('NONE');
    expect(fallback.AuthorizerId).toBeUndefined();
    const integrationId = (fallback.Target['Fn::Join'][1] as unknown[]).at(-1) as { Ref: string };
    const integration = templates.api.findResources('AWS::ApiGatewayV2::Integration')[integrationId.Ref]!;
    const fnId = stacks.api.getLogicalId(stacks.api.functions[DEFAULT_ROUTE.handler]!.node.defaultChild as never);
    expect(integration.Properties).toMatchObject({ IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0' });
    expect(JSON.stringify(integration.Properties.IntegrationUri)).toContain(fnId);
  });

  test(`${CONSOLE_URL_CONTEXT} adds the operator's console origin (and becomes the link target)`, () => {
    const { template } = synthWith({ [CONSOLE_URL_CONTEXT]: 'https://console.example.com/some/path' });
    const [, httpApi] = only(template('api').findResources('AWS::ApiGatewayV2::Api'));
    expect(httpApi.Properties.CorsConfiguration.AllowOrigins).toEqual([expect.objectContaining({ 'Fn::Join': expect.anything() }), 'https://console.example.com']);
  });

  test('the artifact bucket lets browsers PUT to presigned upload URLs with the upload headers', () => {
    templates.state.hasResourceProperties('AWS::S3::Bucket', {
      CorsConfiguration: {
        CorsRules: [
          {
            AllowedOrigins: [...UPLOAD_CORS.allowedOrigins],
            AllowedMethods: [...UPLOAD_CORS.allowedMethods],
            AllowedHeaders: [...UPLOAD_CORS.allowedHeaders],
            MaxAge: UPLOAD_CORS.maxAgeSeconds,
          },
        ],
      },
    });
  });
});

describe('3. uploads that scale', () => {
  test('the files function may stage and verify direct uploads under uploads/ and may run 29 s', () => {
    const fn = stacks.api.functions.files!;
    const roleId = stacks.api.getLogicalId(fn.role!.node.defaultChild as never);
    const statements = Object.values(templates.api.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes(roleId))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Array<{ Action: string[]; Resource: unknown }>);
    const onUploads = statements.filter((s) => JSON.stringify(s.Resource).includes('/uploads/*')).flatMap((s) => [s.Action].flat());
    expect(onUploads).toEqual(expect.arrayContaining(['s3:PutObject', 's3:GetObject*', 's3:DeleteObject*']));
    const [, resource] = only(templates.api.findResources('AWS::Lambda::Function', { Properties: { Role: { 'Fn::GetAtt': [roleId, 'Arn'] } } }));
    expect(resource.Properties.Timeout).toBe(29);
  });

  test('unfinished direct uploads expire after a day', () => {
    templates.state.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ Prefix: 'uploads/', ExpirationInDays: 1, Status: 'Enabled' })]) },
    });
  });

  test('manifests and files leave no body route above what a Lambda invoke carries', () => {
    const keys = Object.values(templates.api.findResources('AWS::ApiGatewayV2::Route')).map((r) => r.Properties.RouteKey);
    expect(keys).toEqual(expect.arrayContaining(['POST /v1/files/uploads', 'POST /v1/files/uploads/complete', 'POST /v1/builds/{deploymentId}/manifest']));
    expect(keys).not.toContain('PUT /v1/builds/{deploymentId}/manifest');
  });
});

describe('5. safe redeploys and uninstall', () => {
  test(`an account-bound synth without ${PLATFORM_DOMAIN_CONTEXT} is refused instead of falling back to localhost`, () => {
    expect(cdkContext[PLATFORM_DOMAIN_CONTEXT]).toBeUndefined();
    expect(() => synthWith({}, ACCOUNT)).toThrow(/runway:platformDomain is not set for account 123456789012.*cdk\.context\.json/);
  });

  test('with the domain in the context the account-bound synth keeps its certificate and names', () => {
    const { template } = synthWith({ [PLATFORM_DOMAIN_CONTEXT]: 'apps.example.com' }, ACCOUNT);
    template('edge').resourceCountIs('AWS::CertificateManager::Certificate', 1);
  });

  test.each(['Apps.Example.com', 'https://apps.example.com', 'apps..example.com', 42])('refuses the platform domain %j', (domain) => {
    expect(() => synthWith({ [PLATFORM_DOMAIN_CONTEXT]: domain })).toThrow(/must be a lowercase DNS name/);
  });

  test('Lambda@Edge versions and the function are retained (replicas block their deletion for hours)', () => {
    // origin-request (the router) and origin-response.
    const versions = Object.values(templates.edge.findResources('AWS::Lambda::Version'));
    expect(versions).toHaveLength(2);
    expect(versions.map((v) => [v.DeletionPolicy, v.UpdateReplacePolicy])).toEqual([['Retain', 'Retain'], ['Retain', 'Retain']]);
    const fns = Object.values(templates.edge.findResources('AWS::Lambda::Function'));
    expect(fns.map((fn) => [fn.DeletionPolicy, fn.UpdateReplacePolicy])).toEqual([['Retain', 'Retain'], ['Retain', 'Retain']]);
  });

  test('the console bucket is emptied and deleted on destroy', () => {
    const [bucketId, bucket] = only(templates.console.findResources('AWS::S3::Bucket'));
    expect(bucket.DeletionPolicy).toBe('Delete');
    templates.console.hasResourceProperties('Custom::S3AutoDeleteObjects', { BucketName: { Ref: bucketId } });
  });
});

describe('6. build limits stated and enforced', () => {
  const env = (p: Record<string, any>) =>
    Object.fromEntries(((p.Properties.Environment.EnvironmentVariables ?? []) as Array<{ Name: string; Value: string }>).map((v) => [v.Name, Number(v.Value)]));

  test(`on Lambda compute the builder's step limits fit inside its ${LAMBDA_COMPUTE_MAX_MINUTES} minutes`, () => {
    const [, project] = only(templates.builds.findResources('AWS::CodeBuild::Project'));
    expect(project.Properties.Environment.ComputeType).toBe('BUILD_LAMBDA_4GB');
    expect(project.Properties.TimeoutInMinutes).toBeUndefined();
    const { RUNWAY_INSTALL_TIMEOUT_SECONDS: install, RUNWAY_BUILD_TIMEOUT_SECONDS: build } = env(project);
    expect([install, build]).toEqual([288, 432]);
    expect(install! + build!).toBeLessThanOrEqual(LAMBDA_COMPUTE_MAX_MINUTES * 60 - 180);
  });

  test(`${BUILD_COMPUTE_CONTEXT}=ec2 selects EC2 compute with a build timeout the step limits fit`, () => {
    const { template } = synthWith({ [BUILD_COMPUTE_CONTEXT]: 'ec2', [BUILD_TIMEOUT_CONTEXT]: 120 });
    const [, ec2] = only(template('builds').findResources('AWS::CodeBuild::Project'));
    expect(ec2.Properties.Environment).toMatchObject({ ComputeType: 'BUILD_GENERAL1_MEDIUM', Type: 'ARM_CONTAINER', Image: 'aws/codebuild/amazonlinux-aarch64-standard:3.0' });
    expect(ec2.Properties.TimeoutInMinutes).toBe(120);
    expect(JSON.parse(ec2.Properties.Source.BuildSpec).phases.install['runtime-versions']).toEqual({ nodejs: 22 });
    const { RUNWAY_INSTALL_TIMEOUT_SECONDS: install, RUNWAY_BUILD_TIMEOUT_SECONDS: build } = env(ec2);
    expect(install! + build!).toBeLessThanOrEqual(120 * 60 - 180);
  });

  test('refuses a timeout on Lambda compute and one outside CodeBuild\'s 5-2160 minutes', () => {
    expect(() => synthWith({ [BUILD_TIMEOUT_CONTEXT]: 30 })).toThrow(/applies to runway:buildCompute=ec2 only/);
    expect(() => synthWith({ [BUILD_COMPUTE_CONTEXT]: 'ec2', [BUILD_TIMEOUT_CONTEXT]: 3 })).toThrow(/5-2160 whole minutes/);
    expect(() => synthWith({ [BUILD_COMPUTE_CONTEXT]: 'fargate' })).toThrow(/must be "lambda" or "ec2"/);
  });
});

describe('7. a Route 53 hosted zone does the DNS work', () => {
  const zone = { [PLATFORM_DOMAIN_CONTEXT]: 'apps.example.com', [HOSTED_ZONE_ID_CONTEXT]: 'Z0123456789ABCDEFGHIJ', [HOSTED_ZONE_NAME_CONTEXT]: 'example.com' };

  test('the certificate is validated through the zone and both names point at the distribution', () => {
    const edge = synthWith(zone, ACCOUNT).template('edge');
    // *.D and D share one validation CNAME, so one option covers both names of the certificate.
    edge.hasResourceProperties('AWS::CertificateManager::Certificate', {
      DomainName: '*.apps.example.com',
      SubjectAlternativeNames: ['apps.example.com'],
      ValidationMethod: 'DNS',
      DomainValidationOptions: [{ DomainName: 'apps.example.com', HostedZoneId: 'Z0123456789ABCDEFGHIJ' }],
    });
    // The platform's distribution (its tenant-only twin serves custom domains, not these names).
    const [distributionId] = only(
      Object.fromEntries(Object.entries(edge.findResources('AWS::CloudFront::Distribution')).filter(([, d]) => d.Properties.DistributionConfig.ConnectionMode === undefined)),
    );
    const records = Object.values(edge.findResources('AWS::Route53::RecordSet')).map((r) => r.Properties);
    expect(records.map((r) => `${r.Type} ${r.Name}`).sort()).toEqual(['A *.apps.example.com.', 'A apps.example.com.', 'AAAA *.apps.example.com.', 'AAAA apps.example.com.']);
    for (const record of records) {
      expect(record.HostedZoneId).toBe('Z0123456789ABCDEFGHIJ');
      expect(record.AliasTarget.DNSName).toEqual({ 'Fn::GetAtt': [distributionId, 'DomainName'] });
    }
  });

  test('without a zone the operator creates the records (none in the template)', () => {
    const edge = synthWith({ [PLATFORM_DOMAIN_CONTEXT]: 'apps.example.com' }, ACCOUNT).template('edge');
    edge.resourceCountIs('AWS::Route53::RecordSet', 0);
    edge.hasResourceProperties('AWS::CertificateManager::Certificate', { DomainValidationOptions: Match.absent() });
  });

  test('refuses a malformed zone id and a zone that does not hold the platform domain', () => {
    expect(() => synthWith({ ...zone, [HOSTED_ZONE_ID_CONTEXT]: '/hostedzone/Z01' })).toThrow(/hosted zone id/);
    expect(() => synthWith({ ...zone, [HOSTED_ZONE_NAME_CONTEXT]: 'other.org' })).toThrow(/does not contain runway:platformDomain=apps.example.com/);
  });
});
