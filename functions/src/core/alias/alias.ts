import { context } from '#core/context';
import { Deployment, type DeploymentInfo } from '#core/deployment/index';
import { ConflictError, NotFoundError, UnprocessableError, ValidationError } from '#core/errors';
import type { Page, PageRequest } from '#core/page';
import { branchHost, productionHost } from '#core/routing/hostnames';
import type { AliasRecord } from './repository.ts';
import { AliasInfo, type AliasChange } from './schema.ts';

type Kind = AliasRecord['kind'];

/** Rounds of re-reading the alias after an edge write before giving up on a storm of concurrent switches. */
export const MAX_SYNC_ROUNDS = 5;
/** Rounds of deciding again when another alias write won the race. */
const MAX_MOVE_ATTEMPTS = 5;

interface ProjectRef {
  id: string;
  teamId: string;
  name: string;
}

/** The project's aliases by host. */
export async function list(project: ProjectRef, page: PageRequest): Promise<Page<AliasInfo>> {
  const result = await context().aliases.list(project.id, page);
  return { items: result.items.map(toAlias), next: result.next };
}

/** The production host of a project: `<name>.<platform domain>`. */
export function productionHostOf(project: Pick<ProjectRef, 'name'>): string {
  return productionHost(project.name, context().settings.platformDomain);
}

/** The branch alias host of a project: `<name>-git-<branch slug>.<platform domain>`. */
export function branchHostOf(project: Pick<ProjectRef, 'name'>, branch: string): string {
  return branchHost(project.name, branch, context().settings.platformDomain);
}

/**
 * The record of a host claimed by a project: version 1, serving nothing yet (see
 * {@link claim}); the repositories write it conditionally, so the first claim decides the owner.
 */
export function claimRecord(host: string, project: Pick<ProjectRef, 'id' | 'teamId'>, kind: Kind): AliasRecord {
  const now = new Date().toISOString();
  return { host, teamId: project.teamId, projectId: project.id, kind, createdAt: now, updatedAt: now, version: 1 };
}

/**
 * Claims a host for a project, once and for all: the first claim of a host decides its owner
 * (a conditional create), and a host stays its owner's until released. Claiming a host the
 * project owns already is a no-op. For hosts claimed on their own: custom domains (kind
 * `custom`) once verified, a deployment's host made before hosts had owners. Production and
 * deployment hosts are claimed inside the transaction that creates their project or deployment
 * ({@link claimRecord}), branch hosts by their first write ({@link moveForward}).
 * @returns the host's record
 * @throws ConflictError `alias_host_taken` when another project owns it
 * @throws ValidationError `platform_host` for a custom domain under the platform domain
 * @throws NotFoundError `project_not_found` when the project is gone or being deleted
 */
export async function claim(host: string, project: ProjectRef, kind: Kind): Promise<AliasRecord> {
  const domain = context().settings.platformDomain.toLowerCase();
  if (kind === 'custom' && (host === domain || host.endsWith(`.${domain}`))) {
    throw new ValidationError('platform_host', `${host} is under the platform domain: its hosts are generated, not added`);
  }
  for (let attempt = 0; attempt < MAX_MOVE_ATTEMPTS; attempt++) {
    const outcome = await context().aliases.claim(claimRecord(host, project, kind));
    if (outcome === 'project_gone') throw new NotFoundError('project_not_found', `No project "${project.name}"`);
    const record = await context().aliases.get(host);
    if (record && record.projectId !== project.id) throw hostTaken(host);
    if (record) return record;
    // Released between the claim and the read: claim it again.
  }
  throw new ConflictError('alias_conflict', `The host ${host} kept changing owner; retry`, { host });
}

/** The hosts a project owns: every kind, reserved or serving (eventually consistent). */
export async function hostsOf(projectId: string): Promise<AliasRecord[]> {
  return context().aliases.allOfProject(projectId);
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
  const current = await context().aliases.get(host);
  if (!current?.deploymentId || current.projectId !== project.id) {
    throw new UnprocessableError('no_production_alias', 'The project has no production deployment to roll back from');
  }
  const target = options.deploymentId
    ? await Deployment.get(options.deploymentId, { teamId: project.teamId })
    : await previousProduction(project, current.deploymentId as string);
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
export async function assign(input: { host: string; kind: AliasRecord['kind']; project: ProjectRef; deployment: DeploymentInfo; expectedVersion?: number }): Promise<AliasChange> {
  assertServable(input.project, input.deployment);
  return point(input);
}

/**
 * Points `host` at a READY `deployment` unless it serves a newer one: aliases never move back to
 * an older deployment, whatever order builds finish in. The write is conditional on the alias
 * version the decision was made on, so of two deployments finishing at once the older cannot win
 * by writing last: the loser re-reads and decides again.
 * @returns the change, or `undefined` when the host keeps its newer deployment
 * @throws ConflictError `alias_conflict` when the alias kept changing for every attempt
 */
export async function moveForward(input: { host: string; kind: 'production' | 'branch'; project: ProjectRef; deployment: DeploymentInfo }): Promise<AliasChange | undefined> {
  for (let attempt = 0; attempt < MAX_MOVE_ATTEMPTS; attempt++) {
    const current = await context().aliases.get(input.host);
    if (current?.deploymentId === input.deployment.id && current.projectId === input.project.id) return undefined;
    if (current?.deploymentId) {
      const serving = await Deployment.get(current.deploymentId).catch(() => undefined);
      if (serving && serving.createdAt > input.deployment.createdAt && current.projectId === input.project.id) return undefined;
    }
    try {
      return await assign({ ...input, expectedVersion: current?.version ?? 0 });
    } catch (error) {
      if (!(error instanceof ConflictError && error.code === 'alias_conflict')) throw error;
    }
  }
  throw new ConflictError('alias_conflict', `The alias ${input.host} kept changing; the event will be retried`);
}

/**
 * Moves the production host (a production deployment) and the branch host (a deployment of a
 * branch) forward to a READY deployment, never back to an older one. A host another project owns
 * is not taken: the deployment stays READY and records the refusal as its `aliasError` (as
 * Vercel's deployments do), so the API, the console and GitHub say which host does not serve it.
 * Safe to repeat: a host that serves it already is left as is.
 * @returns the deployment, with `aliasError` when a host was refused
 */
export async function follow(project: ProjectRef, deployment: DeploymentInfo): Promise<DeploymentInfo> {
  const targets: Array<{ host: string; kind: 'production' | 'branch' }> = [];
  if (deployment.target === 'production') targets.push({ host: productionHostOf(project), kind: 'production' });
  if (deployment.branch) targets.push({ host: branchHostOf(project, deployment.branch), kind: 'branch' });
  for (const target of targets) {
    try {
      await moveForward({ ...target, project, deployment });
    } catch (error) {
      if (!(error instanceof ConflictError && error.code === 'alias_host_taken')) throw error;
      const aliasError = { host: target.host, code: error.code, message: `${target.host} belongs to another project, so it does not serve this deployment` };
      context().logger.warn('A host was refused to a READY deployment', { deploymentId: deployment.id, host: target.host });
      const updated = await context().deployments.update(deployment.id, { aliasError }, ['READY']);
      return updated ? Deployment.toDeployment(updated) : deployment;
    }
  }
  return deployment;
}

/**
 * Publishes a deployment's own host (`<project>-<shortId>.D`, claimed when the deployment was
 * created) before it is marked READY, so that READY means its URL works. A deployment created
 * before hosts were claimed claims it now.
 * @param deployment the deployment with the routing config key it will be READY with
 * @throws ConflictError `alias_host_taken` when another project owns the host
 */
export async function publishOwnHost(project: ProjectRef, deployment: DeploymentInfo): Promise<void> {
  for (let attempt = 0; attempt < MAX_MOVE_ATTEMPTS; attempt++) {
    const current = (await context().aliases.get(deployment.url)) ?? (await claim(deployment.url, project, 'deployment'));
    try {
      await point({ host: deployment.url, kind: 'deployment', project, deployment, expectedVersion: current?.version ?? 0 });
      return;
    } catch (error) {
      if (!(error instanceof ConflictError && error.code === 'alias_conflict')) throw error;
    }
  }
  throw new ConflictError('alias_conflict', `The alias ${deployment.url} kept changing; the event will be retried`);
}

/**
 * Releases one host of the project (a deleted branch's): the edge entry first, then the record.
 * A host of another project, or none, is left alone.
 * @returns whether there was one to remove
 */
export async function release(project: Pick<ProjectRef, 'id'>, host: string): Promise<boolean> {
  const alias = await context().aliases.get(host);
  if (!alias || alias.projectId !== project.id) return false;
  await context().edgeStore.delete(host);
  await context().aliases.delete(host);
  return true;
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
 * The one alias write: conditional on "the project still exists" and on the version read (a new
 * host: none), so two concurrent switches cannot both win. Then the edge store is written and the
 * alias re-read until they agree, so whichever request writes the edge last, it ends up holding
 * what the alias record says.
 */
async function point(input: { host: string; kind: AliasRecord['kind']; project: ProjectRef; deployment: DeploymentInfo; expectedVersion?: number | undefined }): Promise<AliasChange> {
  const { host, kind, project, deployment } = input;
  const existing = await context().aliases.get(host);
  if (existing && existing.projectId !== project.id) throw hostTaken(host);
  const version = existing?.version ?? 0;
  if (input.expectedVersion !== undefined && input.expectedVersion !== version) throw aliasConflict(host, version);

  const now = new Date().toISOString();
  const written: AliasRecord = {
    ...(existing ?? { host, teamId: project.teamId, projectId: project.id, createdAt: now, kind }),
    deploymentId: deployment.id,
    ...(existing?.deploymentId ? { previousDeploymentId: existing.deploymentId } : {}),
    edgeValue: edgeValue(deployment),
    updatedAt: now,
    version: version + 1,
  };
  const outcome = await context().aliases.write(written, version);
  if (outcome === 'project_gone') throw new NotFoundError('project_not_found', `No project "${project.name}"`);
  if (outcome === 'version_conflict') throw aliasConflict(host);
  const edge = await syncEdge(written);
  return { alias: toAlias(written) as AliasChange['alias'], edge };
}

async function syncEdge(written: AliasRecord): Promise<AliasChange['edge']> {
  const { aliases, edgeStore } = context();
  let seen = written;
  for (let round = 0; round < MAX_SYNC_ROUNDS; round++) {
    await edgeStore.put(seen.host, seen.edgeValue as string);
    const latest = await aliases.get(seen.host);
    if (!latest?.edgeValue || !latest.deploymentId) {
      // The project was deleted meanwhile: its cleanup may have run before our put.
      await edgeStore.delete(seen.host);
      throw new NotFoundError('project_not_found', 'The project was deleted');
    }
    if (latest.version === seen.version) return { synced: true, host: seen.host, deploymentId: latest.deploymentId };
    seen = latest;
  }
  throw new Error(`The edge entry of ${written.host} did not settle after ${MAX_SYNC_ROUNDS} rounds`);
}

function hostTaken(host: string): ConflictError {
  return new ConflictError('alias_host_taken', `The host ${host} belongs to another project`, { host });
}

function aliasConflict(host: string, currentVersion?: number): ConflictError {
  return new ConflictError('alias_conflict', `The alias ${host} changed meanwhile; reload and retry`, {
    host,
    ...(currentVersion !== undefined ? { currentVersion } : {}),
  });
}

/** The alias as the API shows it (the edge value is internal). */
function toAlias(record: AliasRecord): AliasInfo {
  return AliasInfo.strip().parse(record);
}
