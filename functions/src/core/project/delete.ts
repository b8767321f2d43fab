import { releaseHostsOf, releaseKeysOf, releaseUnrecordedHost } from '#core/alias/cleanup';
import { context } from '#core/context';
import { Env } from '#core/env/index';
import type { ProjectRecord } from './repository.ts';
import { load } from './project.ts';

/**
 * Deleting a project, apart from the `Project` namespace: only the projects API and the periodic
 * sweep need it, so the functions that deploy do not bundle it.
 */

/** How long a delete request removes hosts before it leaves the rest to the sweep. */
const DELETE_BUDGET_MS = 5000;

/**
 * Deletes a project so nothing routes to it any more: marks it deleted and queues its cleanup at
 * once (every reader and every alias write sees it gone from then on), then {@link purge}s it for
 * up to `budgetMs`. What is left — a project with thousands of deployment hosts — the periodic
 * sweep ({@link purgeDeleted}) finishes. Deployment records stay as history; their files are
 * immutable and no longer reachable.
 * @returns whether the cleanup finished (the name is free again)
 */
export async function remove(teamId: string, idOrName: string, budgetMs = DELETE_BUDGET_MS): Promise<boolean> {
  const project = await load(teamId, idOrName, { includeDeleted: true });
  if (!project.deletedAt) await context().projects.markDeleted(project, new Date().toISOString());
  return purge(project, Date.now() + budgetMs);
}

/**
 * Removes what a deleted project left, in an order a retry can resume: every host it owns (edge
 * entry, then record; production and branch hosts first), the other edge keys each of its
 * deployments published (and the own host of a deployment from before hosts had records), its
 * env vars, then the project, its name and its cleanup mark. Routing configs of such old
 * deployments, which no list names, are left to the sweep, which knows whether another project
 * still uses them.
 * @param deadline ms since the epoch after which it stops where it is
 * @returns whether it finished
 */
export async function purge(project: ProjectRecord, deadline = Number.POSITIVE_INFINITY): Promise<boolean> {
  if (!(await releaseHostsOf(project.id, deadline))) return false;
  const { deployments } = context();
  let cursor: string | undefined;
  do {
    if (Date.now() > deadline) return false;
    const page = await deployments.list({ teamId: project.teamId, projectId: project.id }, {}, { limit: 100, cursor });
    for (const deployment of page.items) {
      await releaseKeysOf(deployment);
      // Published before hosts had records (no `edgeKeys` list): its own host has no record either.
      if (deployment.state === 'READY' && deployment.edgeKeys === undefined) await releaseUnrecordedHost(deployment);
    }
    cursor = page.next ?? undefined;
  } while (cursor);
  await Env.removeAllForProject(project.id);
  await context().projects.delete(project);
  return true;
}

/**
 * Finishes the deletion of projects whose delete request ran out of time or failed part-way
 * (the periodic sweep), until `deadline`.
 * @returns the ids of the projects now gone
 */
export async function purgeDeleted(deadline = Number.POSITIVE_INFINITY): Promise<string[]> {
  const done: string[] = [];
  for (const project of await context().projects.deleting(100)) {
    if (Date.now() > deadline) break;
    if (await purge(project, deadline)) done.push(project.id);
  }
  return done;
}

