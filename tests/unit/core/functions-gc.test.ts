import { describe, expect, test } from 'vitest';
import { Alias } from '../../../functions/src/core/alias/index.ts';
import type { DeployedFunction, DeployFunctionsInput, FunctionDeployer } from '../../../functions/src/core/functions/deployer.ts';
import { functionNameFor } from '../../../functions/src/core/functions/deployer.ts';
import { collectFunctions, type FunctionInventory } from '../../../functions/src/core/functions/gc.ts';
import type { DeploymentInfo } from '../../../functions/src/core/deployment/index.ts';
import { useDomain } from '../../support/domain.ts';

/**
 * Garbage collection of functions on in-memory repositories, with deployments made, finalized,
 * promoted and rolled back by the domain itself. The functions live in an in-memory deployer
 * that records what exists per deployment.
 */
class InMemoryFunctions implements FunctionDeployer, FunctionInventory {
  readonly live = new Map<string, string[]>();
  async deploy(input: DeployFunctionsInput): Promise<DeployedFunction[]> {
    const out = input.functions.map((fn) => ({ name: fn.name, functionName: functionNameFor(input.deploymentId, fn.name), url: `memory://${input.deploymentId}/${fn.name}` }));
    this.live.set(input.deploymentId, out.map((d) => d.functionName));
    return out;
  }
  async remove(deploymentId: string): Promise<void> {
    this.live.delete(deploymentId);
  }
  async deploymentsWithFunctions(): Promise<string[]> {
    return [...this.live.keys()];
  }
}

const domain = useDomain();
const { newProject, filesDeployment, ready, tick } = domain;
const DAY = 24 * 60 * 60 * 1000;

async function withFunctions(fns: InMemoryFunctions, deployment: DeploymentInfo): Promise<DeploymentInfo> {
  const done = await ready(deployment);
  await fns.deploy({ deploymentId: done.id, teamId: done.teamId, projectId: done.projectId, functions: [{ name: 'api/hello', sha: 'a'.repeat(64), config: {} as never }], env: {} });
  return done;
}

describe('collectFunctions', () => {
  test('keeps what a host serves or rolls back to and what is recent; removes old unreferenced and orphaned deployments; rollback to a kept one stays instant', async () => {
    const fns = new InMemoryFunctions();
    const project = await newProject();
    const d1 = await withFunctions(fns, await filesDeployment(project, { target: 'production' }));
    const d2 = await withFunctions(fns, await filesDeployment(project, { target: 'production' }));
    const preview = await withFunctions(fns, await filesDeployment(project));
    const branch = await withFunctions(fns, await filesDeployment(project, { branch: 'feature' }));
    const d4 = await withFunctions(fns, await filesDeployment(project, { target: 'production' }));
    fns.live.set('dpl_orphanorphanorphan', ['runway-fn-orphanorphanorphan-0000000000000000']);
    tick(40 * DAY);
    const recent = await withFunctions(fns, await filesDeployment(project));

    const production = await domain.ctx().aliases.get(`${project.name}.localhost`);
    expect(production).toMatchObject({ deploymentId: d4.id, previousDeploymentId: d2.id });

    const report = await collectFunctions(fns, { retentionDays: 30 });
    expect(report.referenced.sort()).toEqual([d2.id, d4.id, branch.id].sort());
    expect(report.recent).toEqual([recent.id]);
    expect(report.removed.sort()).toEqual([d1.id, preview.id, 'dpl_orphanorphanorphan'].sort());
    expect([...fns.live.keys()].sort()).toEqual([d2.id, d4.id, branch.id, recent.id].sort());

    // Rollback goes to the kept previous production deployment: its functions are still there.
    const change = await Alias.rollback(project);
    expect(change.alias.deploymentId).toBe(d2.id);
    expect(fns.live.has(d2.id)).toBe(true);

    // After the rollback both the live one and the one rolled back from are kept; nothing else goes.
    tick(DAY);
    const again = await collectFunctions(fns, { retentionDays: 30 });
    expect(again.removed).toEqual([]);
    expect(again.referenced.sort()).toEqual([d2.id, d4.id, branch.id].sort());
  });

  test('a longer retention window keeps old unreferenced deployments; a passed deadline stops before touching anything', async () => {
    const fns = new InMemoryFunctions();
    const project = await newProject();
    const old = await withFunctions(fns, await filesDeployment(project));
    tick(40 * DAY);
    expect((await collectFunctions(fns, { retentionDays: 60 })).recent).toEqual([old.id]);
    const stopped = await collectFunctions(fns, { retentionDays: 30, deadline: Date.now() - 1 });
    expect(stopped).toMatchObject({ stoppedEarly: true, scanned: 0, removed: [] });
    expect(fns.live.has(old.id)).toBe(true);
    expect((await collectFunctions(fns, { retentionDays: 30 })).removed).toEqual([old.id]);
  });
});
