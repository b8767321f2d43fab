import type { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, test } from 'vitest';
import { TENANT_ACTIONS } from '../../infra/lib/constructs/custom-domains.ts';
import type { RunwayFunction } from '../../infra/lib/constructs/runway-function.ts';
import { synthRunway } from './synth.ts';

/**
 * Custom domains in AWS (CloudFront SaaS Manager): a tenant-only twin of the platform distribution
 * with the same routing, a connection group whose routing endpoint domains point at, the rights
 * of the two functions that manage tenants, and the scheduled check.
 */
const { stacks, templates } = synthRunway();
const { edge, builds, api } = templates;

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

const roleRefOf = (stack: 'builds' | 'api', fn: RunwayFunction): string => stacks[stack].getLogicalId(fn.role!.node.defaultChild as never);

function statementsOf(template: Template, roleRef: string): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(roleRef))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

function envOf(template: Template, roleRef: string): Record<string, unknown> {
  const [fn] = Object.values(template.findResources('AWS::Lambda::Function', { Properties: { Role: { 'Fn::GetAtt': [roleRef, 'Arn'] } } }));
  return fn!.Properties.Environment.Variables;
}

const distributions = () => Object.entries(edge.findResources('AWS::CloudFront::Distribution'));

describe('the tenant-only distribution', () => {
  const [[tenantId, tenant]] = distributions().filter(([, d]) => d.Properties.DistributionConfig.ConnectionMode === 'tenant-only') as [[string, any]];
  const [[, platform]] = distributions().filter(([, d]) => d.Properties.DistributionConfig.ConnectionMode === undefined) as [[string, any]];

  test('serves through tenants only, with no alternate names or IPv6 switch of its own (the connection group has it)', () => {
    expect(tenant.Properties.DistributionConfig.Aliases).toBeUndefined();
    expect(tenant.Properties.DistributionConfig.IPV6Enabled).toBeUndefined();
    expect(tenantId).toBeTruthy();
  });

  test("routes exactly like the platform's: the same functions (KeyValueStore), cache policy, Lambda@Edge and bucket", () => {
    const behavior = (d: any) => d.Properties.DistributionConfig.DefaultCacheBehavior;
    expect(behavior(tenant).FunctionAssociations).toEqual(behavior(platform).FunctionAssociations);
    expect(behavior(tenant).CachePolicyId).toEqual(behavior(platform).CachePolicyId);
    expect(behavior(tenant).LambdaFunctionAssociations).toEqual(behavior(platform).LambdaFunctionAssociations);
    expect(tenant.Properties.DistributionConfig.Origins[0].DomainName).toEqual(platform.Properties.DistributionConfig.Origins[0].DomainName);
  });

  test('has a connection group with IPv6, whose routing endpoint is an output', () => {
    edge.hasResourceProperties('AWS::CloudFront::ConnectionGroup', { Enabled: true, Ipv6Enabled: true });
    const output = Object.values(edge.findOutputs('CustomDomainTarget'))[0];
    expect(JSON.stringify(output?.Value)).toMatch(/ConnectionGroup.*RoutingEndpoint/);
  });

  test('creates no tenant itself: tenants are made per domain at run time', () => {
    edge.resourceCountIs('AWS::CloudFront::DistributionTenant', 0);
  });
});

describe('the functions that manage tenants', () => {
  const cases = [
    ['the domains API', 'api', stacks.api.functions.domains!, api],
    ['the scheduled domain check', 'builds', stacks.builds.checkDomains, builds],
  ] as const;

  test.each(cases)('%s may call the tenant API on this account\'s tenants, the distribution and its connection group only', (_name, stack, fn, template) => {
    const statements = statementsOf(template, roleRefOf(stack, fn));
    const cloudfront = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('cloudfront:')));
    expect(cloudfront).toHaveLength(1);
    expect([cloudfront[0]!.Action].flat().sort()).toEqual([...TENANT_ACTIONS].sort());
    const resources = JSON.stringify(cloudfront[0]!.Resource);
    expect(resources).toMatch(/distribution-tenant\/\*/);
    expect(resources).toMatch(/TenantEdge.*Distribution/);
    expect(resources).toMatch(/connection-group/);
    expect(resources).not.toMatch(/"\*"/);
  });

  test.each(cases)('%s knows the distribution, connection group and routing endpoint, and writes the edge store', (_name, stack, fn, template) => {
    const env = envOf(template, roleRefOf(stack, fn));
    expect(Object.keys(env)).toEqual(expect.arrayContaining(['RUNWAY_DISTRIBUTION_ID', 'RUNWAY_CONNECTION_GROUP_ID', 'RUNWAY_DOMAIN_TARGET', 'RUNWAY_EDGE_KVS_ARN']));
    const statements = statementsOf(template, roleRefOf(stack, fn));
    const services = new Set(statements.flatMap((s) => [s.Action].flat()).filter((a) => !a.startsWith('xray:')).map((a) => a.split(':')[0]));
    // Nothing else: no bucket, key, secret or build.
    expect([...services].sort()).toEqual(['cloudfront', 'cloudfront-keyvaluestore', 'dynamodb']);
  });

  test('no other function may touch tenants', () => {
    const managers = new Set(cases.map(([, stack, fn]) => roleRefOf(stack, fn)));
    for (const template of [api, builds, edge, templates.state]) {
      for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
        const touches = JSON.stringify(policy.Properties.PolicyDocument).includes('DistributionTenant');
        if (touches) expect([...managers].some((m) => JSON.stringify(policy.Properties.Roles).includes(m))).toBe(true);
      }
    }
  });
});

describe('the scheduled check', () => {
  test('runs every 10 minutes on an EventBridge schedule', () => {
    const fnId = stacks.builds.getLogicalId(stacks.builds.checkDomains.node.defaultChild as never);
    const rules = Object.values(builds.findResources('AWS::Events::Rule')).filter((r) => JSON.stringify(r.Properties.Targets).includes(fnId));
    expect(rules).toHaveLength(1);
    expect(rules[0]!.Properties).toMatchObject({ ScheduleExpression: 'rate(10 minutes)', State: 'ENABLED' });
  });
});
