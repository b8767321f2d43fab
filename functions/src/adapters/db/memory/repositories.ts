import type { AliasRecord, AliasRepository, AliasWriteOutcome, ClaimOutcome, EdgeKeyRef, EdgeKeyRepository } from '#core/alias/repository';
import type { RateLimitRepository, TokenRecord, TokenRepository } from '#core/auth/repository';
import type { BuildRecord, BuildRepository } from '#core/build/repository';
import type { Repositories } from '#core/context';
import type { DeploymentChange, DeploymentCreateOutcome, DeploymentFilter, DeploymentRecord, DeploymentRepository, DeploymentScope } from '#core/deployment/repository';
import type { DomainRecord, DomainRepository } from '#core/domain/repository';
import type { DeploymentState } from '#core/deployment/schema';
import type { EnvRecord, EnvRepository, EnvVarKey } from '#core/env/repository';
import type {
  ClaimRecord,
  ClaimRepository,
  GitDeploymentRecord,
  GitDeploymentRepository,
  InstallationRecord,
  InstallationRepository,
  RepositoryRecord,
} from '#core/github/repository';
import type { Page, PageRequest } from '#core/page';
import type { ClearableSetting, ProjectCreateOutcome, ProjectRecord, ProjectRepository } from '#core/project/repository';
import type { Role } from '#core/schemas';
import type { MemberRecord, MemberRepository, TeamRecord, TeamRepository } from '#core/team/repository';
import { cursorOf, pageOf, sortedBy } from './page.ts';
import { compact, copy, MemoryTables, MissingItemError } from './tables.ts';

/**
 * In-memory twins of the DynamoDB repositories (adapters/db/dynamodb), for unit tests of the
 * domain with no emulator. They pass the same contract tests (tests/support/repository-contracts.ts).
 */

export class MemoryTeams implements TeamRepository {
  constructor(private readonly t: MemoryTables) {}

  async create(team: TeamRecord): Promise<boolean> {
    if (this.t.teamNames.has(team.name) || this.t.teams.has(team.id)) return false;
    this.t.teamNames.set(team.name, team.id);
    this.t.teams.set(team.id, copy(team));
    return true;
  }

  async get(id: string): Promise<TeamRecord | undefined> {
    return copy(this.t.teams.get(id));
  }

  async idByName(name: string): Promise<string | undefined> {
    return this.t.teamNames.get(name);
  }
}

export class MemoryMembers implements MemberRepository {
  constructor(private readonly t: MemoryTables) {}

  async list(teamId: string, page: PageRequest): Promise<Page<MemberRecord>> {
    const members = sortedBy([...this.t.members.values()].filter((m) => m.teamId === teamId), (m) => m.principal, 'asc');
    return copy(pageOf(members, { partition: `team#${teamId}`, keyOf: (m) => m.principal, order: 'asc' }, page));
  }

  async create(member: MemberRecord): Promise<boolean> {
    const key = `${member.teamId}\n${member.principal}`;
    if (this.t.members.has(key)) return false;
    this.t.members.set(key, copy(member));
    return true;
  }

  async update(teamId: string, principal: string, change: { role: Role; updatedAt: string }): Promise<MemberRecord | undefined> {
    const member = this.t.members.get(`${teamId}\n${principal}`);
    if (!member) return undefined;
    Object.assign(member, change);
    return copy(member);
  }

  async delete(teamId: string, principal: string): Promise<boolean> {
    return this.t.members.delete(`${teamId}\n${principal}`);
  }
}

export class MemoryTokens implements TokenRepository {
  constructor(private readonly t: MemoryTables) {}

  async create(token: TokenRecord): Promise<void> {
    if (this.t.tokens.has(token.hash)) throw new Error(`A token with hash ${token.hash} exists`);
    this.t.tokens.set(token.hash, copy(compact(token)));
  }

  async list(teamId: string, page: PageRequest): Promise<Page<TokenRecord>> {
    const keyOf = (t: TokenRecord) => `${t.createdAt}#${t.id}`;
    const tokens = sortedBy([...this.t.tokens.values()].filter((t) => t.teamId === teamId), keyOf, 'desc');
    return copy(pageOf(tokens, { partition: `team#${teamId}`, keyOf, order: 'desc' }, page));
  }

  async byId(id: string): Promise<TokenRecord | undefined> {
    return copy([...this.t.tokens.values()].find((t) => t.id === id));
  }

  async byHash(hash: string): Promise<TokenRecord | undefined> {
    return copy(this.t.tokens.get(hash));
  }

  async revoke(hash: string, at: string): Promise<TokenRecord> {
    const token = this.t.tokens.get(hash);
    if (!token) throw new MissingItemError(`No token with hash ${hash}`);
    token.revokedAt = at;
    return copy(token);
  }
}

export class MemoryRateLimits implements RateLimitRepository {
  constructor(private readonly t: MemoryTables) {}

  async consume(tokenId: string, windowStart: number, limit: number): Promise<boolean> {
    const key = `${tokenId}\n${windowStart}`;
    const count = this.t.rateLimits.get(key) ?? 0;
    if (count >= limit) return false;
    this.t.rateLimits.set(key, count + 1);
    return true;
  }
}

export class MemoryProjects implements ProjectRepository {
  constructor(private readonly t: MemoryTables) {}

  async create(project: ProjectRecord, productionHost: AliasRecord): Promise<ProjectCreateOutcome> {
    const name = `${project.teamId}\n${project.name}`;
    if (this.t.projectNames.has(name) || this.t.projects.has(project.id)) return 'name_taken';
    if (this.t.aliases.has(productionHost.host)) return 'host_taken';
    this.t.projectNames.set(name, project.id);
    this.t.projects.set(project.id, copy(compact(project)));
    this.t.aliases.set(productionHost.host, copy(compact(productionHost)));
    return 'created';
  }

  async get(id: string): Promise<ProjectRecord | undefined> {
    return copy(this.t.projects.get(id));
  }

  async idByName(teamId: string, name: string): Promise<string | undefined> {
    return this.t.projectNames.get(`${teamId}\n${name}`);
  }

  async list(teamId: string, page: PageRequest): Promise<Page<ProjectRecord>> {
    const projects = sortedBy([...this.t.projects.values()].filter((p) => p.teamId === teamId && !p.deletedAt), (p) => p.name, 'asc');
    return copy(pageOf(projects, { partition: `team#${teamId}`, keyOf: (p) => p.name, order: 'asc' }, page));
  }

  async update(id: string, change: { set: Partial<ProjectRecord>; clear: ClearableSetting[] }, expectedVersion: number): Promise<ProjectRecord | undefined> {
    const project = this.t.projects.get(id);
    if (!project || project.version !== expectedVersion || project.deletedAt) return undefined;
    Object.assign(project, compact(change.set));
    for (const field of change.clear) delete project[field];
    project.version += 1;
    return copy(project);
  }

  async markDeleted(project: Pick<ProjectRecord, 'id'>, at: string): Promise<void> {
    const stored = this.t.projects.get(project.id);
    if (!stored) throw new MissingItemError(`No project ${project.id}`);
    stored.deletedAt = at;
    this.t.projectDeletions.set(project.id, { projectId: project.id, deletedAt: at });
  }

  async deleting(limit: number): Promise<ProjectRecord[]> {
    const marks = sortedBy(this.t.projectDeletions.values(), (m) => m.projectId, 'asc').slice(0, limit);
    return copy(marks.flatMap((m) => this.t.projects.get(m.projectId) ?? []));
  }

  async delete(project: Pick<ProjectRecord, 'id' | 'teamId' | 'name'>): Promise<void> {
    this.t.projects.delete(project.id);
    this.t.projectNames.delete(`${project.teamId}\n${project.name}`);
    this.t.projectDeletions.delete(project.id);
  }
}

const envKeyOf = (k: EnvVarKey) => `${k.projectId}\n${k.key}\n${k.target}`;

export class MemoryEnv implements EnvRepository {
  constructor(private readonly t: MemoryTables) {}

  async list(projectId: string): Promise<EnvRecord[]> {
    return copy(sortedBy([...this.t.env.values()].filter((e) => e.projectId === projectId), (e) => `env#${e.key}#${e.target}`, 'asc'));
  }

  async createAll(records: EnvRecord[]): Promise<number[]> {
    const rejected = records.flatMap((record, i) => (this.t.env.has(envKeyOf(record)) ? [i] : []));
    if (rejected.length === 0) for (const record of records) this.t.env.set(envKeyOf(record), copy(record));
    return rejected;
  }

  async update(key: EnvVarKey, set: Partial<Pick<EnvRecord, 'ciphertext' | 'sensitive' | 'scopes' | 'updatedAt'>>): Promise<EnvRecord> {
    const record = this.t.env.get(envKeyOf(key));
    if (!record) throw new MissingItemError(`No env var ${key.key} (${key.target})`);
    Object.assign(record, compact(set));
    record.version += 1;
    return copy(record);
  }

  async delete(keys: EnvVarKey[]): Promise<void> {
    for (const key of keys) this.t.env.delete(envKeyOf(key));
  }
}

const deploymentKey = (d: DeploymentRecord) => `${d.createdAt}#${d.id}`;

export class MemoryDeployments implements DeploymentRepository {
  constructor(private readonly t: MemoryTables) {}

  async create(deployment: DeploymentRecord, host?: AliasRecord): Promise<DeploymentCreateOutcome> {
    if (this.t.deployments.has(deployment.id)) throw new Error(`Deployment ${deployment.id} exists`);
    if (host) {
      const project = this.t.projects.get(host.projectId);
      if (!project || project.deletedAt) return 'project_gone';
      if (this.t.aliases.has(host.host)) return 'host_taken';
      this.t.aliases.set(host.host, copy(compact(host)));
    }
    this.t.deployments.set(deployment.id, copy(compact(deployment)));
    return 'created';
  }

  async get(id: string): Promise<DeploymentRecord | undefined> {
    return copy(this.t.deployments.get(id));
  }

  async list(scope: DeploymentScope, filter: DeploymentFilter, page: PageRequest): Promise<Page<DeploymentRecord>> {
    const matches = [...this.t.deployments.values()].filter(
      (d) =>
        (scope.projectId ? d.projectId === scope.projectId : d.teamId === scope.teamId) &&
        (filter.target === undefined || d.target === filter.target) &&
        (filter.state === undefined || d.state === filter.state) &&
        (filter.branch === undefined || d.branch === filter.branch),
    );
    const partition = scope.projectId ? `project#${scope.projectId}` : `team#${scope.teamId}`;
    return copy(pageOf(sortedBy(matches, deploymentKey, 'desc'), { partition, keyOf: deploymentKey, order: 'desc' }, page));
  }

  cursorAfter(deployment: DeploymentRecord, scope: 'project' | 'team'): string {
    return cursorOf(scope === 'project' ? `project#${deployment.projectId}` : `team#${deployment.teamId}`, deploymentKey(deployment));
  }

  async update(id: string, change: DeploymentChange, ifStateIn: readonly DeploymentState[]): Promise<DeploymentRecord | undefined> {
    const deployment = this.t.deployments.get(id);
    if (!deployment || !ifStateIn.includes(deployment.state)) return undefined;
    Object.assign(deployment, compact(change));
    deployment.version += 1;
    return copy(deployment);
  }

  async inFlight(state: 'QUEUED' | 'BUILDING'): Promise<DeploymentRecord[]> {
    return copy([...this.t.deployments.values()].filter((d) => d.state === state));
  }
}

export class MemoryAliases implements AliasRepository {
  constructor(private readonly t: MemoryTables) {}

  async get(host: string): Promise<AliasRecord | undefined> {
    return copy(this.t.aliases.get(host));
  }

  async list(projectId: string, page: PageRequest): Promise<Page<AliasRecord>> {
    const aliases = sortedBy(this.ofProject(projectId).filter((a) => a.kind !== 'deployment'), (a) => a.host, 'asc');
    return copy(pageOf(aliases, { partition: `project#${projectId}`, keyOf: (a) => a.host, order: 'asc' }, page));
  }

  async allOfProject(projectId: string): Promise<AliasRecord[]> {
    return copy(this.ofProject(projectId));
  }

  async claim(alias: AliasRecord): Promise<ClaimOutcome> {
    const outcome = await this.write(alias, 0);
    return outcome === 'version_conflict' ? 'taken' : outcome === 'written' ? 'claimed' : outcome;
  }

  async write(alias: AliasRecord, expectedVersion: number): Promise<AliasWriteOutcome> {
    const project = this.t.projects.get(alias.projectId);
    if (!project || project.deletedAt) return 'project_gone';
    const existing = this.t.aliases.get(alias.host);
    if ((existing?.version ?? 0) !== expectedVersion || (expectedVersion > 0 && !existing)) return 'version_conflict';
    if (existing && existing.projectId !== alias.projectId) return 'version_conflict';
    if (existing) {
      const { deploymentId, previousDeploymentId, edgeValue, updatedAt } = alias;
      Object.assign(existing, compact({ deploymentId, previousDeploymentId, edgeValue, updatedAt }));
      existing.version += 1;
    } else {
      this.t.aliases.set(alias.host, copy(compact(alias)));
    }
    return 'written';
  }

  async delete(host: string): Promise<void> {
    this.t.aliases.delete(host);
  }

  private ofProject(projectId: string): AliasRecord[] {
    return [...this.t.aliases.values()].filter((a) => a.projectId === projectId);
  }
}

export class MemoryEdgeKeys implements EdgeKeyRepository {
  constructor(private readonly t: MemoryTables) {}

  async add(ref: EdgeKeyRef): Promise<void> {
    this.t.edgeRefs.set(`${ref.key}\n${ref.deploymentId}`, copy(ref));
  }

  async remove(key: string, deploymentId: string): Promise<void> {
    this.t.edgeRefs.delete(`${key}\n${deploymentId}`);
  }

  async anyRef(key: string): Promise<EdgeKeyRef | undefined> {
    return copy(sortedBy([...this.t.edgeRefs.values()].filter((r) => r.key === key), (r) => r.deploymentId, 'asc')[0]);
  }
}

export class MemoryBuilds implements BuildRepository {
  constructor(private readonly t: MemoryTables) {}

  async create(build: BuildRecord): Promise<boolean> {
    if (this.t.builds.has(build.deploymentId)) return false;
    this.t.builds.set(build.deploymentId, copy(compact(build)));
    return true;
  }

  async attach(deploymentId: string, where: { buildId: string; logStream?: string | undefined }): Promise<void> {
    const build = this.t.builds.get(deploymentId);
    if (!build) throw new MissingItemError(`No build of ${deploymentId}`);
    Object.assign(build, compact(where));
  }

  async get(deploymentId: string): Promise<BuildRecord | undefined> {
    return copy(this.t.builds.get(deploymentId));
  }
}

export class MemoryInstallations implements InstallationRepository {
  constructor(private readonly t: MemoryTables) {}

  async get(installationId: number): Promise<InstallationRecord | undefined> {
    return copy(this.t.installations.get(installationId));
  }

  async put(installation: Omit<InstallationRecord, 'teamId' | 'linkedAt' | 'suspendedAt'>): Promise<void> {
    const existing = this.t.installations.get(installation.installationId);
    this.t.installations.set(installation.installationId, { ...existing, ...copy(compact(installation)) });
  }

  async link(installation: InstallationRecord & { teamId: string; linkedAt: string }): Promise<boolean> {
    const existing = this.t.installations.get(installation.installationId);
    if (existing?.teamId && existing.teamId !== installation.teamId) return false;
    this.t.installations.set(installation.installationId, { ...existing, ...copy(compact(installation)) });
    const links = this.t.teamLinks.get(installation.teamId) ?? new Set<number>();
    links.add(installation.installationId);
    this.t.teamLinks.set(installation.teamId, links);
    return true;
  }

  async unlink(teamId: string, installationId: number, at: string): Promise<void> {
    const installation = this.t.installations.get(installationId);
    if (!installation) throw new MissingItemError(`No installation ${installationId}`);
    delete installation.teamId;
    delete installation.linkedAt;
    installation.updatedAt = at;
    this.t.teamLinks.get(teamId)?.delete(installationId);
  }

  async linkedTo(teamId: string): Promise<number[]> {
    return [...(this.t.teamLinks.get(teamId) ?? [])].sort((a, b) => a - b);
  }

  async setSuspended(installationId: number, at: string | undefined, updatedAt: string): Promise<void> {
    const installation = this.t.installations.get(installationId);
    if (!installation) throw new MissingItemError(`No installation ${installationId}`);
    if (at) installation.suspendedAt = at;
    else delete installation.suspendedAt;
    installation.updatedAt = updatedAt;
  }

  async delete(installationId: number): Promise<void> {
    const installation = this.t.installations.get(installationId);
    if (installation?.teamId) this.t.teamLinks.get(installation.teamId)?.delete(installationId);
    this.t.installations.delete(installationId);
  }

  async repositories(installationId: number): Promise<RepositoryRecord[]> {
    return copy([...(this.t.repositories.get(installationId)?.values() ?? [])].sort((a, b) => a.repoId - b.repoId));
  }

  async putRepositories(repositories: RepositoryRecord[]): Promise<void> {
    for (const repository of repositories) {
      const repos = this.t.repositories.get(repository.installationId) ?? new Map<number, RepositoryRecord>();
      repos.set(repository.repoId, copy(compact(repository)));
      this.t.repositories.set(repository.installationId, repos);
    }
  }

  async deleteRepositories(installationId: number, repoIds: number[]): Promise<void> {
    for (const repoId of repoIds) this.t.repositories.get(installationId)?.delete(repoId);
  }
}

export class MemoryClaims implements ClaimRepository {
  constructor(private readonly t: MemoryTables) {}

  async create(claim: ClaimRecord): Promise<void> {
    if (this.t.claims.has(claim.stateHash)) throw new Error('A claim of that state exists');
    this.t.claims.set(claim.stateHash, copy(claim));
  }

  async take(stateHash: string, teamId: string): Promise<ClaimRecord | undefined> {
    const claim = this.t.claims.get(stateHash);
    if (!claim || claim.teamId !== teamId) return undefined;
    this.t.claims.delete(stateHash);
    return claim;
  }
}

export class MemoryGitDeployments implements GitDeploymentRepository {
  constructor(private readonly t: MemoryTables) {}

  async put(link: Pick<GitDeploymentRecord, 'deploymentId' | 'installationId' | 'repo' | 'sha' | 'prNumber'>): Promise<void> {
    const existing = this.t.gitDeployments.get(link.deploymentId);
    this.t.gitDeployments.set(link.deploymentId, { ...existing, ...copy(compact(link)) });
  }

  async get(deploymentId: string): Promise<GitDeploymentRecord | undefined> {
    return copy(this.t.gitDeployments.get(deploymentId));
  }

  async linkPullRequest(deploymentId: string, prNumber: number): Promise<void> {
    const link = this.existing(deploymentId);
    link.prNumber = prNumber;
    delete link.reportedState;
  }

  async setGithubDeploymentId(deploymentId: string, githubDeploymentId: number): Promise<number> {
    const link = this.existing(deploymentId);
    link.githubDeploymentId ??= githubDeploymentId;
    return link.githubDeploymentId;
  }

  async setReportedState(deploymentId: string, state: string): Promise<void> {
    this.existing(deploymentId).reportedState = state;
  }

  private existing(deploymentId: string): GitDeploymentRecord {
    const link = this.t.gitDeployments.get(deploymentId);
    if (!link) throw new MissingItemError(`No git link of ${deploymentId}`);
    return link;
  }
}

const domainKey = (projectId: string, name: string) => `${projectId}\n${name}`;

export class MemoryDomains implements DomainRepository {
  constructor(private readonly t: MemoryTables) {}

  async create(record: DomainRecord): Promise<boolean> {
    const key = domainKey(record.projectId, record.name);
    if (this.t.domains.has(key)) return false;
    this.t.domains.set(key, copy(compact(record)));
    return true;
  }

  async get(projectId: string, name: string): Promise<DomainRecord | undefined> {
    return copy(this.t.domains.get(domainKey(projectId, name)));
  }

  async ofProject(projectId: string): Promise<DomainRecord[]> {
    return copy(sortedBy([...this.t.domains.values()].filter((d) => d.projectId === projectId), (d) => d.name, 'asc'));
  }

  async byName(name: string): Promise<DomainRecord[]> {
    return copy([...this.t.domains.values()].filter((d) => d.name === name));
  }

  async all(): Promise<{ items: DomainRecord[]; next?: string | undefined }> {
    return { items: copy([...this.t.domains.values()]) };
  }

  async put(record: DomainRecord): Promise<void> {
    this.t.domains.set(domainKey(record.projectId, record.name), copy(compact(record)));
  }

  async delete(projectId: string, name: string): Promise<void> {
    this.t.domains.delete(domainKey(projectId, name));
  }

  async teamToken(teamId: string, fresh: string): Promise<string> {
    if (!this.t.domainTokens.has(teamId)) this.t.domainTokens.set(teamId, fresh);
    return this.t.domainTokens.get(teamId) as string;
  }
}

/** A fresh set of in-memory repositories over one shared set of tables. */
export function memoryRepositories(tables = new MemoryTables()): Repositories {
  return {
    teams: new MemoryTeams(tables),
    members: new MemoryMembers(tables),
    tokens: new MemoryTokens(tables),
    rateLimits: new MemoryRateLimits(tables),
    projects: new MemoryProjects(tables),
    env: new MemoryEnv(tables),
    deployments: new MemoryDeployments(tables),
    aliases: new MemoryAliases(tables),
    edgeKeys: new MemoryEdgeKeys(tables),
    builds: new MemoryBuilds(tables),
    installations: new MemoryInstallations(tables),
    claims: new MemoryClaims(tables),
    gitDeployments: new MemoryGitDeployments(tables),
    domains: new MemoryDomains(tables),
  };
}
