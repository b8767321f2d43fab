import { context } from '#core/context';
import type { DeploymentRecord } from '#core/deployment/repository';

/**
 * Edge keys a deployment publishes besides its hosts (today its routing config `c:<key>`). Such a
 * key may be shared — a config is keyed by its content — so each deployment that publishes one
 * records a reference to it, and the key leaves the edge store only when no reference is left.
 * The deployment record lists its keys (`edgeKeys`) so cleanup (cleanup.ts) follows that list
 * and the references, never the format of the values the edge stores.
 */

/**
 * Publishes `key` → `value` for a deployment: the reference first, then the edge entry, so a
 * concurrent release of the same key either sees the reference or puts the value back.
 * The caller has recorded `key` in the deployment's `edgeKeys` before.
 */
export async function publish(deployment: Pick<DeploymentRecord, 'id' | 'projectId'>, key: string, value: string): Promise<void> {
  await context().edgeKeys.add({ key, deploymentId: deployment.id, projectId: deployment.projectId, value, createdAt: new Date().toISOString() });
  await context().edgeStore.put(key, value);
}
