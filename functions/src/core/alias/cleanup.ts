import { context } from '#core/context';
import type { DeploymentRecord } from '#core/deployment/repository';
import { DEPLOYMENT_STATES } from '#core/deployment/schema';
import { MAX_SYNC_ROUNDS } from './alias.ts';

/**
 * Removing what a project or deployment published: its hosts (edge entry, then record) and the
 * other edge keys its deployments refer to. Used by a project's deletion and the periodic sweep
 * only, so the functions that publish do not bundle it.
 */

/**
 * Releases the hosts of a project, production, branch and custom ones first (those a visitor
 * knows), then its deployment hosts, until `deadline` (ms since the epoch): each goes from the
 * edge, then its record, so a retry finds what is left.
 * @returns whether every host is gone
 */
export async function releaseHostsOf(projectId: string, deadline = Number.POSITIVE_INFINITY): Promise<boolean> {
  const hosts = (await context().aliases.allOfProject(projectId)).sort((a, b) => Number(a.kind === 'deployment') - Number(b.kind === 'deployment'));
  for (const alias of hosts) {
    if (Date.now() > deadline) return false;
    await removeHost(alias.host);
  }
  return true;
}

/** A host leaves the edge, then its record goes. */
async function removeHost(host: string): Promise<void> {
  await context().edgeStore.delete(host);
  await context().aliases.delete(host);
}

/**
 * The own host of a deployment finalized before hosts had owner records: nobody else can hold
 * that exact host (its id is in it), so with no record at all it goes with its project.
 */
export async function releaseUnrecordedHost(deployment: Pick<DeploymentRecord, 'url'>): Promise<void> {
  if (!(await context().aliases.get(deployment.url))) await context().edgeStore.delete(deployment.url);
}

/**
 * Makes the edge entry of `host` what its record says after a cleanup removed it: a record that
 * was written meanwhile (a claim racing the sweep) is put back, until the record stops changing.
 */
export async function settleEdge(host: string): Promise<void> {
  const { aliases, edgeStore } = context();
  let seen = await aliases.get(host);
  for (let round = 0; seen?.edgeValue && round < MAX_SYNC_ROUNDS; round++) {
    await edgeStore.put(host, seen.edgeValue);
    const latest = await aliases.get(host);
    if (latest?.version === seen.version) return;
    seen = latest;
  }
  if (!seen?.edgeValue) await edgeStore.delete(host);
}

/**
 * Drops a deployment's reference to `key`, and the key itself when nobody else refers to it. A
 * reference added meanwhile (another deployment publishing the same key) puts its value back.
 */
export async function releaseKey(key: string, deploymentId: string): Promise<void> {
  await context().edgeKeys.remove(key, deploymentId);
  await removeIfUnreferenced(key);
}

/**
 * Removes `key` from the edge store unless a deployment refers to it; when a reference appears
 * while it is removed, the referenced value is put back.
 * @returns whether the key is gone
 */
export async function removeIfUnreferenced(key: string): Promise<boolean> {
  const { edgeKeys, edgeStore } = context();
  if (await edgeKeys.anyRef(key)) return false;
  await edgeStore.delete(key);
  const late = await edgeKeys.anyRef(key);
  if (!late) return true;
  await edgeStore.put(key, late.value);
  return false;
}

/**
 * Releases every edge key a deployment published, then records that it holds none, so a retry
 * (of a project's deletion) skips it.
 */
export async function releaseKeysOf(deployment: DeploymentRecord): Promise<void> {
  if (!deployment.edgeKeys?.length) return;
  for (const key of deployment.edgeKeys) await releaseKey(key, deployment.id);
  await context().deployments.update(deployment.id, { edgeKeys: [] }, DEPLOYMENT_STATES);
}
