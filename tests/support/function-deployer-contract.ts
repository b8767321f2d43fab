import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { ZipFile } from 'yazl';
import { type FunctionDeployer, functionNameFor, parseFunctionConfig } from '../../functions/src/core/functions/index.ts';

/** What the contract needs of an implementation besides the port. */
export interface FunctionDeployerHarness {
  deployer: FunctionDeployer;
  /** Stores a function's zip where the implementation reads code from (the team's blob `blobs/<teamId>/<sha>`). */
  storeZip(teamId: string, sha: string, bytes: Buffer): Promise<void>;
  /** Whether the platform holds this function of this deployment now (a Lambda GetFunction; the local twin's record). */
  exists(deploymentId: string, name: string): Promise<boolean>;
}

/** A real zip of a tiny Node.js handler (what the builder uploads), and its sha256. */
export async function handlerZip(body = 'ok'): Promise<{ sha: string; bytes: Buffer }> {
  const zip = new ZipFile();
  zip.addBuffer(Buffer.from(`export default function (req, res) { res.end(${JSON.stringify(body)}); }\n`), 'index.mjs', { mtime: new Date(1540000000000) });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  const bytes = Buffer.concat(chunks);
  return { sha: createHash('sha256').update(bytes).digest('hex'), bytes };
}

const newDeploymentId = () => `dpl_${randomBytes(8).toString('hex').slice(0, 12)}`;

/**
 * The FunctionDeployer contract (core/functions/deployer.ts): the local twin (tests/integration/
 * functions/deployer-contract.test.ts) and the Lambda adapter on moto run the same cases.
 */
export function functionDeployerContract(name: string, make: () => Promise<FunctionDeployerHarness>): void {
  describe(`FunctionDeployer contract: ${name}`, () => {
    const teamId = 'team_contract00000';
    const config = parseFunctionConfig('api/hello', { runtime: 'nodejs22.x', handler: 'index.mjs', launcherType: 'Nodejs', memory: 256, maxDuration: 5 }).config;

    async function deployTwo(harness: FunctionDeployerHarness, deploymentId = newDeploymentId()) {
      const a = await handlerZip('a');
      const b = await handlerZip('b');
      await harness.storeZip(teamId, a.sha, a.bytes);
      await harness.storeZip(teamId, b.sha, b.bytes);
      const input = {
        deploymentId,
        teamId,
        projectId: 'prj_contract0000',
        functions: [
          { name: 'api/b', sha: b.sha, config },
          { name: 'api/a', sha: a.sha, config },
        ],
        env: { GREETING: 'hello' },
      };
      return { input, deployed: await harness.deployer.deploy(input) };
    }

    test('deploy answers one entry per function, in input order, named by functionNameFor, with a url', async () => {
      const harness = await make();
      const { input, deployed } = await deployTwo(harness);
      expect(deployed.map((d) => d.name)).toEqual(['api/b', 'api/a']);
      for (const d of deployed) {
        expect(d.functionName).toBe(functionNameFor(input.deploymentId, d.name));
        expect(d.url).toMatch(/\S/);
        expect(await harness.exists(input.deploymentId, d.name)).toBe(true);
      }
    });

    test('deploy is idempotent: a redelivered call answers the same and keeps the functions', async () => {
      const harness = await make();
      const { input, deployed } = await deployTwo(harness);
      expect(await harness.deployer.deploy(input)).toEqual(deployed);
      expect(await harness.exists(input.deploymentId, 'api/a')).toBe(true);
    });

    test('a deployment without functions deploys nothing', async () => {
      const harness = await make();
      expect(await harness.deployer.deploy({ deploymentId: newDeploymentId(), teamId, projectId: 'prj_contract0000', functions: [], env: {} })).toEqual([]);
    });

    test("remove deletes every function of the deployment and no other's; removing again, or what never was, is no error", async () => {
      const harness = await make();
      const { input } = await deployTwo(harness);
      const { input: other } = await deployTwo(harness);
      await harness.deployer.remove(input.deploymentId);
      expect(await harness.exists(input.deploymentId, 'api/a')).toBe(false);
      expect(await harness.exists(input.deploymentId, 'api/b')).toBe(false);
      expect(await harness.exists(other.deploymentId, 'api/a')).toBe(true);
      await expect(harness.deployer.remove(input.deploymentId)).resolves.toBeUndefined();
      await expect(harness.deployer.remove(newDeploymentId())).resolves.toBeUndefined();
    });
  });
}
