import { context } from '#core/context';
import type { DeploymentRecord } from '#core/deployment/repository';
import { purgeDeleted } from '#core/project/delete';
import * as Alias from './alias.ts';
import { removeIfUnreferenced, settleEdge } from './cleanup.ts';

/**
 * The periodic sweep of what nothing owns (an EventBridge schedule in AWS, a timer under
 * `npm start`). The edge store must hold only keys with an owner: a host whose alias record
 * exists, serves a deployment and belongs to a live project, or another key (a routing config)
 * some deployment refers to. The sweep
 *
 * 1. finishes the deletion of projects marked deleted (their owner records, hosts and keys);
 * 2. walks every key of the edge store and removes each that has no owner — a host of a deleted
 *    project left by an earlier bug, a key a crash left behind — then puts back anything a
 *    concurrent publisher wrote meanwhile, so it never takes a live host down;
 * 3. adopts what deployments published before hosts had owner records: a deployment's own host
 *    gets its record, its routing config a reference.
 *
 * Decisions follow the owner records and the keys each deployment lists, never the format of the
 * values the edge stores.
 */

export interface SweepReport {
  /** Projects whose deletion it finished. */
  purged: string[];
  /** Keys it read. */
  scanned: number;
  /** Keys it removed from the edge store. */
  removed: string[];
  /** Hosts and keys of earlier deployments it gave an owner. */
  adopted: string[];
}

/**
 * Runs the sweep once.
 * @param deadline ms since the epoch after which it stops (the scheduled function's timeout)
 */
export async function sweepHosts(deadline = Number.POSITIVE_INFINITY): Promise<SweepReport> {
  const report: SweepReport = { purged: await purgeDeleted(deadline), scanned: 0, removed: [], adopted: [] };
  const { edgeStore } = context();
  const owners = new Liveness();
  const others: string[] = [];
  let cursor: string | undefined;
  do {
    if (Date.now() > deadline) return report;
    const page = await edgeStore.list(cursor);
    for (const key of page.keys) {
      report.scanned++;
      if (isHost(key)) await sweepHost(key, owners, report);
      else others.push(key);
    }
    cursor = page.next;
  } while (cursor);
  // After every host: adopting an earlier deployment's host adds the reference its config needs.
  for (const key of others) {
    if (Date.now() > deadline) break;
    if (await sweepKey(key, owners)) report.removed.push(key);
  }
  return report;
}

/** Hosts are lowercase DNS names; every other edge key (`c:<key>`) has a `:`. */
function isHost(key: string): boolean {
  return !key.includes(':');
}

async function sweepHost(host: string, owners: Liveness, report: SweepReport): Promise<void> {
  const alias = await context().aliases.get(host);
  if (alias) {
    if (alias.edgeValue && (await owners.alive(alias.projectId))) {
      if (alias.kind !== 'deployment' && alias.deploymentId) await adoptKeys(alias.deploymentId, report);
      return;
    }
  } else if (await adoptHost(host, owners, report)) {
    return;
  }
  // No owner, an owner that serves nothing, or a deleted project's: the host goes. A record that
  // appears meanwhile (a claim racing this) is put back.
  await context().edgeStore.delete(host);
  if (alias && !(await owners.alive(alias.projectId))) await context().aliases.delete(host);
  await settleEdge(host);
  report.removed.push(host);
}

/**
 * A host without a record may be the own host of a deployment made before hosts had records
 * (`<project>-<shortId>.D`): when its deployment says so and its project is alive, the host gets
 * its record and the deployment's routing config its reference.
 */
async function adoptHost(host: string, owners: Liveness, report: SweepReport): Promise<boolean> {
  const shortId = /-([0-9a-z]{9})\./.exec(host)?.[1];
  const deployment = shortId ? await context().deployments.get(`dpl_${shortId}`) : undefined;
  if (!deployment || deployment.url !== host || deployment.state !== 'READY' || !(await owners.alive(deployment.projectId))) return false;
  const now = new Date().toISOString();
  const outcome = await context().aliases.claim({
    host,
    teamId: deployment.teamId,
    projectId: deployment.projectId,
    deploymentId: deployment.id,
    edgeValue: Alias.edgeValue(deployment),
    kind: 'deployment',
    createdAt: now,
    updatedAt: now,
    version: 1,
  });
  if (outcome === 'project_gone') return false;
  if (outcome === 'claimed') report.adopted.push(host);
  await adoptKeys(deployment.id, report, deployment);
  // Taken meanwhile by its own deployment's record, or claimed now: either way it has an owner.
  return (await context().aliases.get(host))?.projectId === deployment.projectId;
}

/** An earlier deployment's routing config gets the reference (and the `edgeKeys`) it would have today. */
async function adoptKeys(deploymentId: string, report: SweepReport, known?: DeploymentRecord): Promise<void> {
  const deployment = known ?? (await context().deployments.get(deploymentId));
  if (!deployment || deployment.edgeKeys !== undefined || !deployment.configKey) return;
  const key = `c:${deployment.configKey}`;
  const value = await context().edgeStore.get(key);
  const { deployments, edgeKeys } = context();
  await deployments.update(deployment.id, { edgeKeys: value === undefined ? [] : [key] }, ['READY']);
  if (value === undefined) return;
  await edgeKeys.add({ key, deploymentId: deployment.id, projectId: deployment.projectId, value, createdAt: new Date().toISOString() });
  report.adopted.push(key);
}

/**
 * A key that is not a host stays while a deployment of a live project refers to it; references of
 * deleted projects are dropped on the way.
 * @returns whether it was removed
 */
async function sweepKey(key: string, owners: Liveness): Promise<boolean> {
  const { edgeKeys } = context();
  for (let ref = await edgeKeys.anyRef(key); ref; ref = await edgeKeys.anyRef(key)) {
    if (await owners.alive(ref.projectId)) return false;
    await edgeKeys.remove(key, ref.deploymentId);
  }
  return removeIfUnreferenced(key);
}

/** Whether projects exist and are not being deleted, read once per project in a sweep. */
class Liveness {
  private readonly known = new Map<string, Promise<boolean>>();

  alive(projectId: string): Promise<boolean> {
    let answer = this.known.get(projectId);
    if (!answer) {
      answer = context()
        .projects.get(projectId)
        .then((p) => p !== undefined && !p.deletedAt);
      this.known.set(projectId, answer);
    }
    return answer;
  }
}
