import fs from 'node:fs';
import path from 'node:path';
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
  test.each(['openapi', 'not-found'])('%s needs nothing but tracing', (handler) => {
    expect(actionsOf(handler).filter((a) => !a.startsWith('xray:'))).toEqual([]);
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

/**
 * What each function's code calls, checked against its synthesized IAM policies both ways: every
 * call is allowed, and what the code never does is not. A small evaluator over the policy
 * statements (Allow only, `*`/`?` wildcards, no conditions), with the other stacks' ARNs (imports)
 * named by what they are.
 */
const ARN = {
  bucket: 'arn:aws:s3:::runway-artifacts',
  envKey: 'arn:aws:kms:us-east-1:123456789012:key/env-values',
  appSecret: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:github-app',
  buildProject: 'arn:aws:codebuild:us-east-1:123456789012:project/runway-builds',
  table: 'arn:aws:dynamodb:us-east-1:123456789012:table/runway',
};
const named: Array<[unknown, string]> = [
  [stacks.api.resolve(stacks.state.artifactBucket.bucketArn), ARN.bucket],
  [stacks.api.resolve(stacks.state.secretsKey.keyArn), ARN.envKey],
  [stacks.api.resolve(stacks.state.githubApp.secret.secretArn), ARN.appSecret],
  [stacks.api.resolve(stacks.builds.builder.project.projectArn), ARN.buildProject],
  [stacks.api.resolve(stacks.state.table.tableArn), ARN.table],
];

function rendered(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(rendered);
  const name = named.find(([resolved]) => JSON.stringify(resolved) === JSON.stringify(value));
  if (name) return [name[1]];
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (join) return [join[1].map((part) => rendered(part).join('')).join(join[0])];
  return [`<unresolved ${JSON.stringify(value)}>`];
}

const glob = (pattern: string, value: string, ignoreCase = false) =>
  new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, ignoreCase ? 'i' : '').test(value);

function allows(handler: string, action: string, resource: string): boolean {
  return statementsOf(handler).some((s) => {
    const statement = s as Statement & { Effect?: string; Condition?: unknown };
    return (
      (statement.Effect ?? 'Allow') === 'Allow' &&
      statement.Condition === undefined &&
      [statement.Action].flat().some((a) => glob(a, action, true)) &&
      rendered(statement.Resource).some((r) => glob(r, resource))
    );
  });
}

type Call = readonly [action: string, resource: string];
const sha = 'a'.repeat(64);
const object = (key: string) => `${ARN.bucket}/${key}`;

/**
 * Per function, per port it wires (the keys of its `wire({...})`, repositories aside): the AWS
 * calls its code makes through that port, and calls its code never makes.
 */
const CODE_CALLS: Record<string, { calls: Record<string, Call[]>; never: Call[] }> = {
  builds: {
    calls: {
      // The job's file list (Deployment.sourceOf); /missing: list the team's blobs or HEAD each.
      blobStore: [['s3:GetObject', object(`blobs/team_x/${sha}`)], ['s3:ListBucket', ARN.bucket]],
      artifacts: [
        // /missing and /blobs: presigned PUTs of output blobs; /source: presigned GETs of sources.
        ['s3:PutObject', object(`blobs/team_x/${sha}`)],
        ['s3:GetObject', object(`blobs/team_x/${sha}`)],
        // /manifest: a presigned write-once PUT.
        ['s3:PutObject', object('manifests/dpl_abcdefghi.json')],
        // /cache: HEAD (404 needs ListBucket) and a presigned GET; POST /cache: a presigned PUT.
        ['s3:GetObject', object('cache/prj_x/default.tgz')],
        ['s3:ListBucket', ARN.bucket],
        ['s3:PutObject', object('cache/prj_x/default.tgz')],
      ],
      // The job decrypts the project's env values (Env.resolveForBuild).
      envCipher: [['kms:Decrypt', ARN.envKey]],
      // /tarball asks GitHub as the App.
      github: [['secretsmanager:GetSecretValue', ARN.appSecret]],
    },
    never: [
      ['s3:DeleteObject', object(`blobs/team_x/${sha}`)],
      ['s3:DeleteObject', object('manifests/dpl_abcdefghi.json')],
      ['s3:DeleteObject', object('cache/prj_x/default.tgz')],
      // Manifests are read when the build ends, by the build-state function, not here.
      ['s3:GetObject', object('manifests/dpl_abcdefghi.json')],
      ['s3:PutObject', object('d/dpl_abcdefghi/index.html')],
      ['s3:PutObject', object(`uploads/team_x/${sha}`)],
      ['kms:Encrypt', ARN.envKey],
    ],
  },
  files: {
    calls: {
      // POST /v1/files puts a blob; /uploads lists or HEADs the team's blobs.
      blobStore: [['s3:PutObject', object(`blobs/team_x/${sha}`)], ['s3:GetObject', object(`blobs/team_x/${sha}`)], ['s3:ListBucket', ARN.bucket]],
      artifacts: [
        // /uploads: presigned PUTs to the staging key; /complete: HEAD, hash (GET), copy, delete.
        ['s3:PutObject', object(`uploads/team_x/${sha}`)],
        ['s3:GetObject', object(`uploads/team_x/${sha}`)],
        ['s3:DeleteObject', object(`uploads/team_x/${sha}`)],
        // The copy writes the blob; a retried completion HEADs it.
        ['s3:PutObject', object(`blobs/team_x/${sha}`)],
        ['s3:GetObject', object(`blobs/team_x/${sha}`)],
        ['s3:ListBucket', ARN.bucket],
      ],
    },
    never: [
      ['s3:DeleteObject', object(`blobs/team_x/${sha}`)],
      ['s3:PutObject', object('manifests/dpl_abcdefghi.json')],
      ['s3:PutObject', object('d/dpl_abcdefghi/index.html')],
      ['s3:PutObject', object('cache/prj_x/default.tgz')],
      ['kms:Decrypt', ARN.envKey],
    ],
  },
  deployments: {
    calls: {
      // The file list is stored as a blob and read back (redeploy); missing_files lists or HEADs.
      blobStore: [['s3:PutObject', object(`blobs/team_x/${sha}`)], ['s3:GetObject', object(`blobs/team_x/${sha}`)], ['s3:ListBucket', ARN.bucket]],
      buildScheduler: [['codebuild:StartBuild', ARN.buildProject], ['codebuild:StopBuild', ARN.buildProject]],
      // Git deployments on demand resolve the branch head as the App.
      github: [['secretsmanager:GetSecretValue', ARN.appSecret]],
    },
    never: [
      ['s3:DeleteObject', object(`blobs/team_x/${sha}`)],
      ['s3:PutObject', object(`uploads/team_x/${sha}`)],
      ['s3:PutObject', object('manifests/dpl_abcdefghi.json')],
      ['s3:PutObject', object('d/dpl_abcdefghi/index.html')],
      ['kms:Decrypt', ARN.envKey],
    ],
  },
};

/** The ports a handler module hands to the context (`wire({ ...repositories, port: () => … })`). */
function wiredPorts(handler: string): string[] {
  const source = fs.readFileSync(path.resolve(import.meta.dirname, `../../functions/src/handlers/http/${handler}.ts`), 'utf8');
  const wired = /\bwire\(\{([\s\S]*?)\}\);/.exec(source)?.[1];
  if (wired === undefined) throw new Error(`${handler}.ts calls no wire({...})`);
  return [...wired.matchAll(/(\w+):\s*\(\)\s*=>/g)].map((m) => m[1]!).sort();
}

describe("what each function's code calls is granted, and nothing it never calls", () => {
  test('the evaluator sees the grants (a call nobody is granted is refused)', () => {
    expect(allows('builds', 's3:PutObject', object(`blobs/team_x/${sha}`))).toBe(true);
    expect(allows('teams', 's3:PutObject', object(`blobs/team_x/${sha}`))).toBe(false);
    expect(statementsOf('builds').flatMap((s) => rendered(s.Resource)).filter((r) => r.startsWith('<unresolved'))).toEqual([]);
  });

  describe.each(Object.keys(CODE_CALLS))('%s', (handler) => {
    const { calls, never } = CODE_CALLS[handler]!;

    test('the calls listed here are those of every port the handler wires', () => {
      expect(Object.keys(calls).sort()).toEqual(wiredPorts(handler));
    });

    test.each(Object.entries(calls).flatMap(([port, list]) => list.map(([action, resource]) => [port, action, resource] as const)))(
      'through %s: %s on %s is allowed',
      (_port, action, resource) => {
        expect(allows(handler, action, resource)).toBe(true);
      },
    );

    test.each(never)('%s on %s, which its code never does, is not allowed', (action, resource) => {
      expect(allows(handler, action, resource)).toBe(false);
    });
  });
});
