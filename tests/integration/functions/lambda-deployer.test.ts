import { execFileSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { GetFunctionCommand, GetFunctionUrlConfigCommand, LambdaClient, PublishLayerVersionCommand } from '@aws-sdk/client-lambda';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, test } from 'vitest';
import { LAUNCHER_HANDLER, LambdaFunctionDeployer } from '../../../functions/src/adapters/functions/lambda.ts';
import { functionUrlsKey } from '../../../functions/src/core/artifact-keys.ts';
import { functionLogGroup, functionNameFor, parseFunctionConfig } from '../../../functions/src/core/functions/index.ts';
import { functionDeployerContract, type FunctionDeployerHarness } from '../../support/function-deployer-contract.ts';

/**
 * The Lambda `FunctionDeployer` against moto's Lambda (CreateFunction, GetFunction, Function URL
 * configs, ListFunctions, DeleteFunction; moto runs no code without Docker, so nothing is invoked).
 * The port's contract is the shared suite the local twin runs too (tests/support/
 * function-deployer-contract.ts); below it, what only the Lambda adapter does.
 */
const region = process.env.AWS_REGION ?? 'us-east-1';
const bucket = () => process.env.RUNWAY_ARTIFACT_BUCKET!;
const lambda = new LambdaClient({ region });
const s3 = new S3Client({ region, forcePathStyle: true });
const iam = new IAMClient({ region });
const logs = new CloudWatchLogsClient({ region });

/** A real zip of a `.func` directory: `.vc-config.json` + `index.mjs`, as the builder stores it. */
function funcZip(source: string, vc: Record<string, unknown>): Buffer {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runway-lambda-zip-'));
  fs.writeFileSync(path.join(dir, 'index.mjs'), source);
  fs.writeFileSync(path.join(dir, '.vc-config.json'), JSON.stringify(vc));
  execFileSync('zip', ['-qX', 'fn.zip', 'index.mjs', '.vc-config.json'], { cwd: dir });
  const bytes = fs.readFileSync(path.join(dir, 'fn.zip'));
  fs.rmSync(dir, { recursive: true, force: true });
  return bytes;
}

interface Subject extends FunctionDeployerHarness {
  teamId: string;
  /** Puts a function's zip where the deployer reads it; returns its sha. */
  store(zip: Buffer): Promise<string>;
}

let subject: Subject;
let executionRoleArn = '';
let launcherLayerArn = '';

beforeAll(async () => {
  const role = await iam.send(
    new CreateRoleCommand({
      RoleName: `runway-functions-${randomUUID().slice(0, 8)}`,
      AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] }),
    }),
  );
  executionRoleArn = role.Role!.Arn!;
  const layer = await lambda.send(new PublishLayerVersionCommand({ LayerName: 'runway-launcher-test', Content: { ZipFile: funcZip('export const handler = () => {}', {}) }, CompatibleRuntimes: ['nodejs22.x'] }));
  launcherLayerArn = layer.LayerVersionArn!;
  const teamId = `team_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const storeZip = async (team: string, sha: string, bytes: Buffer) => {
    await s3.send(new PutObjectCommand({ Bucket: bucket(), Key: `blobs/${team}/${sha}`, Body: bytes }));
  };
  subject = {
    deployer: new LambdaFunctionDeployer({ lambda, s3, logs, bucket: bucket(), executionRoleArn, launcherLayerArn, activeWaitSeconds: 30 }),
    teamId,
    storeZip,
    async exists(deploymentId, name) {
      try {
        await lambda.send(new GetFunctionCommand({ FunctionName: functionNameFor(deploymentId, name) }));
        return true;
      } catch (error) {
        if ((error as Error).name === 'ResourceNotFoundException') return false;
        throw error;
      }
    },
    async store(zip) {
      const sha = createHash('sha256').update(zip).digest('hex');
      await storeZip(teamId, sha, zip);
      return sha;
    },
  };
});

const newDeploymentId = () => `dpl_${randomUUID().replace(/-/g, '').slice(0, 20)}`;
const config = (vc: Record<string, unknown> = {}) => parseFunctionConfig('api/x', { runtime: 'nodejs22.x', handler: 'index.mjs', launcherType: 'Nodejs', ...vc }).config;

// The same harness object the local twin's suite gets: the port's contract, on moto's Lambda.
functionDeployerContract('Lambda on moto', async () => subject);

describe('Lambda adapter: URLs and listing', () => {
  test('each function gets its own Function URL (https://<id>.lambda-url.<region>.on.aws/)', async () => {
    const deploymentId = newDeploymentId();
    const sha = await subject.store(funcZip('export default (req, res) => res.end("hi")', { runtime: 'nodejs22.x', handler: 'index.mjs', launcherType: 'Nodejs' }));
    const deployed = await subject.deployer.deploy({
      deploymentId,
      teamId: subject.teamId,
      projectId: 'prj_test',
      functions: [
        { name: 'api/hello', sha, config: config() },
        { name: 'index', sha, config: config({ supportsResponseStreaming: true }) },
      ],
      env: {},
    });
    for (const d of deployed) expect(d.url).toMatch(/^https:\/\/[a-z0-9]+\.lambda-url\.[a-z0-9-]+\.on\.aws\/?$/);
    expect(new Set(deployed.map((d) => d.url)).size).toBe(2);
  });

  test('deploymentsWithFunctions lists the deployments that have functions, by their names', async () => {
    const sha = await subject.store(funcZip('export default () => {}', { runtime: 'nodejs22.x', handler: 'index.mjs', launcherType: 'Nodejs' }));
    const [a, b] = [newDeploymentId(), newDeploymentId()];
    for (const deploymentId of [a, b]) {
      await subject.deployer.deploy({ deploymentId, teamId: subject.teamId, projectId: 'p', functions: [{ name: 'x', sha, config: config() }, { name: 'y', sha, config: config() }], env: {} });
    }
    const listed = await (subject.deployer as LambdaFunctionDeployer).deploymentsWithFunctions();
    expect(listed).toEqual(expect.arrayContaining([a, b]));
    expect(listed.filter((id) => id === a)).toHaveLength(1);
    await subject.deployer.remove(a);
    expect(await (subject.deployer as LambdaFunctionDeployer).deploymentsWithFunctions()).not.toContain(a);
  });
});

describe('Lambda specifics', () => {
  test('the function is configured from its config: runtime, launcher handler and layer, arm64, memory, timeout, env, role, tags; its URL is AWS_IAM', async () => {
    const deploymentId = newDeploymentId();
    const sha = await subject.store(funcZip('export default () => {}', { runtime: 'nodejs20.x', handler: 'index.mjs', launcherType: 'Nodejs' }));
    const [d] = await subject.deployer.deploy({
      deploymentId,
      teamId: subject.teamId,
      projectId: 'prj_cfg',
      functions: [{ name: 'api/cfg', sha, config: config({ runtime: 'nodejs20.x', memory: 512, maxDuration: 30, environment: { FROM_VC: 'vc', SHARED: 'vc' }, supportsResponseStreaming: true }) }],
      env: { SECRET_TOKEN: 's3cr3t', SHARED: 'project' },
    });
    const got = await lambda.send(new GetFunctionCommand({ FunctionName: d!.functionName }));
    const c = got.Configuration!;
    expect(c.Runtime).toBe('nodejs20.x');
    expect(c.Handler).toBe(LAUNCHER_HANDLER);
    expect(c.Layers?.map((l) => l.Arn)).toEqual([launcherLayerArn]);
    expect(c.Architectures).toEqual(['arm64']);
    expect(c.MemorySize).toBe(512);
    expect(c.Timeout).toBe(30);
    expect(c.Role).toBe(executionRoleArn);
    expect(c.Environment?.Variables).toEqual({ FROM_VC: 'vc', SHARED: 'project', SECRET_TOKEN: 's3cr3t' });
    expect(got.Tags).toMatchObject({ 'runway:deployment': deploymentId, 'runway:project': 'prj_cfg', 'runway:team': subject.teamId, 'runway:function': 'api/cfg' });
    const url = await lambda.send(new GetFunctionUrlConfigCommand({ FunctionName: d!.functionName }));
    expect(url.AuthType).toBe('AWS_IAM');
    expect(url.InvokeMode).toBe('RESPONSE_STREAM');
    // Its own log group, created beforehand with a retention.
    const groups = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: functionLogGroup(d!.functionName) }));
    expect(groups.logGroups?.map((g) => [g.logGroupName, g.retentionInDays])).toEqual([[`/aws/lambda/${d!.functionName}`, 30]]);
    // The edge's map: name → Function URL host.
    const map = JSON.parse(await (await s3.send(new GetObjectCommand({ Bucket: bucket(), Key: functionUrlsKey(deploymentId) }))).Body!.transformToString());
    expect(map).toEqual({ 'api/cfg': new URL(d!.url).host });
  });

  test('a buffered function gets a BUFFERED URL', async () => {
    const sha = await subject.store(funcZip('export default () => {}', { runtime: 'nodejs22.x', handler: 'index.mjs', launcherType: 'Nodejs' }));
    const [d] = await subject.deployer.deploy({ deploymentId: newDeploymentId(), teamId: subject.teamId, projectId: 'p', functions: [{ name: 'b', sha, config: config() }], env: {} });
    expect((await lambda.send(new GetFunctionUrlConfigCommand({ FunctionName: d!.functionName }))).InvokeMode).toBe('BUFFERED');
  });

  test('env Lambda refuses (a reserved name, over 4 KB) is a clear ValidationError and creates nothing', async () => {
    const sha = await subject.store(funcZip('export default () => {}', { runtime: 'nodejs22.x', handler: 'index.mjs', launcherType: 'Nodejs' }));
    for (const [env, code] of [
      [{ AWS_SECRET_ACCESS_KEY: 'x' }, 'function_env_reserved'],
      [{ BIG: 'x'.repeat(4097) }, 'function_env_too_large'],
    ] as const) {
      const deploymentId = newDeploymentId();
      await expect(subject.deployer.deploy({ deploymentId, teamId: subject.teamId, projectId: 'p', functions: [{ name: 'a', sha, config: config() }], env })).rejects.toMatchObject({
        name: 'ValidationError',
        code,
      });
      await expect(lambda.send(new GetFunctionCommand({ FunctionName: functionNameFor(deploymentId, 'a') }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    }
  });
});
