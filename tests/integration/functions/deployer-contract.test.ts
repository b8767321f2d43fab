import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { describe, expect, test } from 'vitest';
import { S3ArtifactStore } from '../../../functions/src/adapters/artifacts/s3.ts';
import { KmsEnvCipher } from '../../../functions/src/adapters/env-cipher/kms.ts';
import { LocalFunctionDeployer, localFunctionsKey } from '../../../functions/src/adapters/function-deployer/local.ts';
import { blobKey } from '../../../functions/src/core/artifact-keys.ts';
import { parseFunctionConfig } from '../../../functions/src/core/functions/index.ts';
import { config } from '../../../functions/src/lib/config.ts';
import { functionDeployerContract } from '../../support/function-deployer-contract.ts';

const s3 = new S3Client({ forcePathStyle: true });
const bucket = () => config().RUNWAY_ARTIFACT_BUCKET;
const make = () => new LocalFunctionDeployer(new S3ArtifactStore(bucket()), new KmsEnvCipher());

functionDeployerContract('local twin (emulator S3 + KMS)', async () => {
  const deployer = make();
  return {
    deployer,
    storeZip: async (teamId, sha, bytes) => void (await s3.send(new PutObjectCommand({ Bucket: bucket(), Key: blobKey(teamId, sha), Body: bytes }))),
    exists: async (deploymentId, name) => (await deployer.read(deploymentId))?.functions.some((fn) => fn.name === name) ?? false,
  };
});

describe('local twin: the runtime env at rest', () => {
  const fnConfig = parseFunctionConfig('api/x', { runtime: 'nodejs22.x', handler: 'index.mjs', launcherType: 'Nodejs' }).config;
  const secret = `pg://user:${Math.random().toString(36).slice(2)}@db/prod`;

  test('values are KMS-encrypted in the record, decrypted by read, and bound to their deployment and name', async () => {
    const deployer = make();
    const deploymentId = `dpl_${Date.now().toString(36)}env`;
    await deployer.deploy({ deploymentId, teamId: 'team_x', projectId: 'prj_x', functions: [{ name: 'api/x', sha: 'a'.repeat(64), config: fnConfig }], env: { DATABASE_URL: secret, PLAIN: 'p' }, sensitiveKeys: ['DATABASE_URL', 'NOT_IN_ENV'] });
    const stored = await (await s3.send(new GetObjectCommand({ Bucket: bucket(), Key: localFunctionsKey(deploymentId) }))).Body!.transformToString();
    expect(stored).not.toContain(secret);
    expect(stored).not.toContain(Buffer.from(secret).toString('base64'));
    const read = await deployer.read(deploymentId);
    expect(read).toMatchObject({ env: { DATABASE_URL: secret, PLAIN: 'p' }, sensitiveKeys: ['DATABASE_URL'], functions: [{ name: 'api/x', config: fnConfig }] });

    // A ciphertext copied into another deployment's record does not decrypt there.
    const other = `${deploymentId}b`;
    await s3.send(new PutObjectCommand({ Bucket: bucket(), Key: localFunctionsKey(other), Body: stored.replaceAll(deploymentId, other) }));
    await expect(deployer.read(other)).rejects.toThrow();
  });

  test('a second deploy keeps the first snapshot (env changes need a redeploy, as on Vercel)', async () => {
    const deployer = make();
    const deploymentId = `dpl_${Date.now().toString(36)}snap`;
    const input = { deploymentId, teamId: 'team_x', projectId: 'prj_x', functions: [{ name: 'api/x', sha: 'b'.repeat(64), config: fnConfig }], env: { V: 'first' } };
    await deployer.deploy(input);
    await deployer.deploy({ ...input, env: { V: 'second' } });
    expect((await deployer.read(deploymentId))?.env).toEqual({ V: 'first' });
  });
});
