import { describe, expect, test } from 'vitest';
import { synthRunway } from './synth.ts';

const { stacks, templates } = synthRunway();
const t = templates.api;

interface Statement {
  Action: string | string[];
  Resource: unknown;
}

/** The IAM statements granted to one API handler's role. */
function statementsOf(handler: string): Statement[] {
  const fn = stacks.api.functions[handler];
  if (!fn?.role) throw new Error(`No function ${handler}`);
  const roleId = stacks.api.getLogicalId(fn.role.node.defaultChild as never);
  return Object.values(t.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(roleId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

const actionsOf = (handler: string): string[] => statementsOf(handler).flatMap((s) => [s.Action].flat());

/** The stack's own functions, without CDK's BucketDeployment handler (which publishes the console). */
function apiHandlerFunctions() {
  return Object.entries(t.findResources('AWS::Lambda::Function'))
    .filter(([id]) => !id.startsWith('CustomCDKBucketDeployment'))
    .map(([, fn]) => fn);
}

describe('api handlers get only what they use', () => {
  test('the OpenAPI document needs nothing but tracing', () => {
    expect(actionsOf('openapi').filter((a) => !a.startsWith('xray:'))).toEqual([]);
  });

  test.each(['teams', 'tokens', 'projects', 'aliases', 'files', 'deployments'])('%s cannot use the env-var key', (handler) => {
    expect(actionsOf(handler).filter((a) => a.startsWith('kms:'))).toEqual([]);
  });

  test('env can encrypt and decrypt with the env-var key', () => {
    expect(actionsOf('env')).toEqual(expect.arrayContaining(['kms:Encrypt', 'kms:Decrypt']));
  });

  test.each(['teams', 'tokens', 'projects', 'aliases', 'env'])('%s cannot write blobs', (handler) => {
    expect(actionsOf(handler).filter((a) => a.startsWith('s3:Put'))).toEqual([]);
  });

  test.each([
    ['files', ['blobs', 'uploads']],
    ['deployments', ['blobs']],
  ])('%s writes under %j only', (handler, prefixes) => {
    const writes = statementsOf(handler).filter((s) => [s.Action].flat().includes('s3:PutObject'));
    expect(writes.length).toBeGreaterThan(0);
    // Object ARNs (joined from the bucket ARN) are the prefix; the bare bucket ARN serves List only.
    const objectArns = writes.flatMap((s) => [s.Resource].flat()).filter((r) => JSON.stringify(r).includes('Fn::Join'));
    const written = objectArns.map((arn) => /\/(\w+)\/\*"\]\]\}$/.exec(JSON.stringify(arn))?.[1]);
    expect([...new Set(written)].sort()).toEqual(prefixes);
  });

  test('every handler gets the per-token rate limit', () => {
    for (const fn of apiHandlerFunctions()) {
      expect(fn.Properties.Environment.Variables.RUNWAY_RATE_LIMIT_PER_MINUTE).toBe('1200');
    }
  });
});
