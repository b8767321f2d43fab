import { productionHost } from '#core/routing/hostnames';
import { ConflictError, NotFoundError, UnprocessableError } from '#core/errors';
import { conversions, db, type AliasItem } from '#adapters/db/dynamodb/model';
import { assertOnlyConditionFailures, rejectedConditions } from '#adapters/db/dynamodb/errors';
import { queryPage, type Page } from '#adapters/db/dynamodb/page';
import { Deployment, type DeploymentInfo } from '#core/deployment/index';
import { config } from '#lib/config';
import { ports } from '#lib/ports';
import type { AliasChange, AliasInfo } from './schema.ts';

/** Rounds of re-reading the alias after an edge write before giving up on a storm of concurrent switches. */
const MAX_SYNC_ROUNDS = 5;

interface ProjectRef {
  id: string;
  teamId: string;
  name: string;
}

/** The project's aliases by host. */
export async function list(project: ProjectRef, page: { limit: number; cursor?: string | undefined }): Promise<Page<AliasInfo>> {
  const entity = db().entities.alias;
  const result = await queryPage(entity.query.byProject({ projectId: project.id }), {
    ...page,
    order: 'asc',
    partition: ['gsi1pk', `project#${project.id}`],
    toCursor: (a) => conversions.alias.byAccessPattern.byProject.fromComposite.toCursor({ host: a.host, projectId: a.projectId }),
  });
  return { items: result.items.map(toAlias), next: result.next };
}

/** The production host of a project: `<name>.<platform domain>`. */
export function productionHostOf(project: Pick<ProjectRef, 'name'>): string {
  return productionHost(project.name, config().RUNWAY_PLATFORM_DOMAIN);
}

/**
 * Points the project's production host at a READY deployment of the project (preview or production).
 * @param expectedVersion the alias version the caller saw (0: none yet); a mismatch is a 409
 */
export async function promote(project: ProjectRef, deploymentId: string, expectedVersion?: number): Promise<AliasChange> {
  const deployment = await Deployment.get(deploymentId, { teamId: project.teamId });
  assertServable(project, deployment);
  return point({ host: productionHostOf(project), kind: 'production', project, deployment, expectedVersion });
}

/**
 * Points production back at an earlier READY production deployment, with no rebuild: the given one,
 * or by default the newest READY production deployment created before the one live now.
 */
export async function rollback(project: ProjectRef, options: { deploymentId?: string | undefined; expectedVersion?: number | undefined } = {}): Promise<AliasChange> {
  const host = productionHostOf(project);
  const current = (await db().entities.alias.get({ host }).go({ consistent: true })).data;
  if (!current || current.projectId !== project.id) {
    throw new UnprocessableError('no_production_alias', 'The project has no production deployment to roll back from');
  }
  const target = options.deploymentId
    ? await Deployment.get(options.deploymentId, { teamId: project.teamId })
    : await previousProduction(project, current.deploymentId);
  assertServable(project, target);
  if (target.target !== 'production') {
    throw new UnprocessableError('not_a_production_deployment', `Deployment ${target.id} is a preview; promote it instead`);
  }
  return point({ host, kind: 'production', project, deployment: target, expectedVersion: options.expectedVersion ?? current.version });
}

/**
 * Points any host of the project at a READY deployment (branch and deployment hosts after a build).
 * Same guarantees as promote: one versioned write, then the edge.
 */
export async function assign(input: { host: string; kind: AliasItem['kind']; project: ProjectRef; deployment: DeploymentInfo; expectedVersion?: number }): Promise<AliasChange> {
  assertServable(input.project, input.deployment);
  return point(input);
}

/**
 * Removes one alias of the project (a deleted branch's, a closed pull request's): the edge entry
 * first, then the record. An alias of another project, or none, is left alone.
 * @returns whether there was one to remove
 */
export async function remove(project: Pick<ProjectRef, 'id'>, host: string): Promise<boolean> {
  const entity = db().entities.alias;
  const { data } = await entity.get({ host }).go({ consistent: true });
  if (!data || data.projectId !== project.id) return false;
  await ports().edgeStore.delete(host);
  await entity.delete({ host }).go();
  return true;
}

/** Removes every alias of a project: first from the edge, then the record, so a retry finds what is left. */
export async function removeAllForProject(projectId: string): Promise<void> {
  const entity = db().entities.alias;
  const { data } = await entity.query.byProject({ projectId }).go({ pages: 'all' });
  for (const alias of data) {
    await ports().edgeStore.delete(alias.host);
    await entity.delete({ host: alias.host }).go();
  }
}

/** The KVS value of a deployment: `<deploymentId>[ <configKey>]` (see edge/viewer-request.js). */
export function edgeValue(deployment: Pick<DeploymentInfo, 'id' | 'configKey'>): string {
  return deployment.configKey ? `${deployment.id} ${deployment.configKey}` : deployment.id;
}

function assertServable(project: ProjectRef, deployment: DeploymentInfo): void {
  if (deployment.projectId !== project.id) {
    throw new UnprocessableError('deployment_of_another_project', `Deployment ${deployment.id} belongs to another project`);
  }
  if (deployment.state !== 'READY') {
    throw new UnprocessableError('deployment_not_ready', `Deployment ${deployment.id} is ${deployment.state}; only READY deployments can be served`, {
      state: deployment.state,
    });
  }
}

/** Newest READY production deployment older than `currentId`, following pages as far as needed. */
async function previousProduction(project: ProjectRef, currentId: string): Promise<DeploymentInfo> {
  const current = await Deployment.get(currentId).catch(() => undefined);
  let cursor: string | undefined = current ? Deployment.cursorOf(current, 'byProject') : undefined;
  do {
    const page = await Deployment.list({ teamId: project.teamId, projectId: project.id }, { target: 'production', state: 'READY' }, { limit: 1, cursor });
    const found = page.items.find((d) => d.id !== currentId);
    if (found) return found;
    cursor = page.next ?? undefined;
  } while (cursor);
  throw new UnprocessableError('no_rollback_target', 'There is no earlier READY production deployment to roll back to');
}

/**
 * The one alias write: a transaction of "the project still exists" and a put (new host) or an update
 * conditional on the version read (existing host), so two concurrent switches cannot both win. Then
 * the edge store is written and the alias re-read until they agree, so whichever request writes
 * the edge last, it ends up holding what the alias record says.
 */
async function point(input: {
  host: string;
  kind: AliasItem['kind'];
  project: ProjectRef;
  deployment: DeploymentInfo;
  expectedVersion?: number | undefined;
}): Promise<AliasChange> {
  const { host, kind, project, deployment } = input;
  const entity = db().entities.alias;
  const existing = (await entity.get({ host }).go({ consistent: true })).data;
  if (existing && existing.projectId !== project.id) {
    throw new ConflictError('alias_host_taken', `The host ${host} already serves another project`, { host });
  }
  const version = existing?.version ?? 0;
  if (input.expectedVersion !== undefined && input.expectedVersion !== version) throw aliasConflict(host, version);

  const now = new Date().toISOString();
  const value = edgeValue(deployment);
  const outcome = await db()
    .transaction.write(({ project: projectEntity, alias }) => [
      projectEntity
        .check({ id: project.id })
        .where(({ id, deletedAt }, { exists, notExists }) => `${exists(id)} AND ${notExists(deletedAt)}`)
        .commit(),
      existing
        ? alias
            .patch({ host })
            .set({ deploymentId: deployment.id, previousDeploymentId: existing.deploymentId, edgeValue: value, kind, updatedAt: now })
            .add({ version: 1 })
            .where(({ version: v }, { eq }) => eq(v, version))
            .commit()
        : alias
            .create({ host, teamId: project.teamId, projectId: project.id, deploymentId: deployment.id, edgeValue: value, kind, createdAt: now, updatedAt: now, version: 1 })
            .commit(),
    ])
    .go();
  assertOnlyConditionFailures(outcome);
  const rejected = rejectedConditions(outcome);
  if (rejected.includes(0)) throw new NotFoundError('project_not_found', `No project "${project.name}"`);
  if (rejected.includes(1)) throw aliasConflict(host);

  const written: AliasItem = {
    ...(existing ?? { host, teamId: project.teamId, projectId: project.id, createdAt: now }),
    deploymentId: deployment.id,
    ...(existing ? { previousDeploymentId: existing.deploymentId } : {}),
    edgeValue: value,
    kind,
    updatedAt: now,
    version: version + 1,
  };
  const edge = await syncEdge(written);
  return { alias: toAlias(written), edge };
}

async function syncEdge(written: AliasItem): Promise<AliasChange['edge']> {
  const { edgeStore } = ports();
  let seen = written;
  for (let round = 0; round < MAX_SYNC_ROUNDS; round++) {
    await edgeStore.put(seen.host, seen.edgeValue);
    const latest = (await db().entities.alias.get({ host: seen.host }).go({ consistent: true })).data;
    if (!latest) {
      // The project was deleted meanwhile: its cleanup may have run before our put.
      await edgeStore.delete(seen.host);
      throw new NotFoundError('project_not_found', 'The project was deleted');
    }
    if (latest.version === seen.version) return { synced: true, host: seen.host, deploymentId: seen.deploymentId };
    seen = latest;
  }
  throw new Error(`The edge entry of ${written.host} did not settle after ${MAX_SYNC_ROUNDS} rounds`);
}

function aliasConflict(host: string, currentVersion?: number): ConflictError {
  return new ConflictError('alias_conflict', `The alias ${host} changed meanwhile; reload and retry`, {
    host,
    ...(currentVersion !== undefined ? { currentVersion } : {}),
  });
}

function toAlias(item: AliasItem): AliasInfo {
  return {
    host: item.host,
    teamId: item.teamId,
    projectId: item.projectId,
    deploymentId: item.deploymentId,
    ...(item.previousDeploymentId ? { previousDeploymentId: item.previousDeploymentId } : {}),
    kind: item.kind,
    createdAt: item.createdAt,
    updatedAt: item.updatedAt,
    version: item.version,
  };
}
