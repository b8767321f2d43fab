import { randomUUID } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import type { AliasRecord } from '../../functions/src/core/alias/repository.ts';
import type { TokenRecord } from '../../functions/src/core/auth/repository.ts';
import type { Repositories } from '../../functions/src/core/context.ts';
import type { DeploymentRecord } from '../../functions/src/core/deployment/repository.ts';
import type { EnvRecord } from '../../functions/src/core/env/repository.ts';
import type { Page, PageRequest } from '../../functions/src/core/page.ts';
import type { ProjectRecord } from '../../functions/src/core/project/repository.ts';

/**
 * The contract of the repositories: every implementation (the in-memory twins in the unit project,
 * the DynamoDB ones against the emulator in the integration project) runs the same cases. Ids are
 * unique per test, so implementations that share one table keep the cases apart.
 */
export function repositoryContract(name: string, make: () => Repositories): void {
  const uid = () => randomUUID().replace(/-/g, '').slice(0, 16);
  const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString();

  /** Every item of a list, following `next` (pages may be short). */
  async function all<T>(read: (page: PageRequest) => Promise<Page<T>>, limit = 2): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 100; i++) {
      const page = await read({ limit, ...(cursor ? { cursor } : {}) });
      items.push(...page.items);
      if (!page.next) return items;
      cursor = page.next;
    }
    throw new Error('the list never ended');
  }

  const project = (teamId: string, overrides: Partial<ProjectRecord> = {}): ProjectRecord => ({
    id: `prj_${uid()}`,
    teamId,
    name: `p-${uid()}`,
    productionBranch: 'main',
    createdAt: at(0),
    updatedAt: at(0),
    version: 1,
    ...overrides,
  });

  /** The claim of a project's production host that its creation writes. */
  const claimOf = (p: ProjectRecord, host = `${p.name}.localhost`): AliasRecord => ({
    host,
    teamId: p.teamId,
    projectId: p.id,
    kind: 'production',
    createdAt: at(0),
    updatedAt: at(0),
    version: 1,
  });
  const create = (repos: Pick<Repositories, 'projects'>, p: ProjectRecord) => repos.projects.create(p, claimOf(p));

  const deployment = (p: ProjectRecord, second: number, overrides: Partial<DeploymentRecord> = {}): DeploymentRecord => {
    const id = `dpl_${uid().slice(0, 9)}`;
    return {
      id,
      shortId: id.slice(4),
      teamId: p.teamId,
      projectId: p.id,
      projectName: p.name,
      target: 'preview',
      state: 'QUEUED',
      source: { type: 'git', provider: 'github', repo: 'o/r', sha: 'a'.repeat(40) },
      url: `${p.name}-${id.slice(4)}.localhost`,
      createdAt: at(second),
      version: 1,
      ...overrides,
    };
  };

  describe(`Repository contract: ${name}`, () => {
    describe('teams and members', () => {
      test('a team name is taken once; the team is found by id and by name', async () => {
        const { teams } = make();
        const team = { id: `team_${uid()}`, name: `t-${uid()}`, createdAt: at(0) };
        expect(await teams.create(team)).toBe(true);
        expect(await teams.create({ ...team, id: `team_${uid()}` })).toBe(false);
        expect(await teams.get(team.id)).toEqual(team);
        expect(await teams.idByName(team.name)).toBe(team.id);
        expect(await teams.idByName(`t-${uid()}`)).toBeUndefined();
      });

      test('members: created once, updated and deleted only when present, listed by principal across pages', async () => {
        const { members } = make();
        const teamId = `team_${uid()}`;
        const principals = ['c@x.io', 'a@x.io', 'b@x.io'];
        for (const principal of principals) expect(await members.create({ teamId, principal, role: 'member', createdAt: at(0), updatedAt: at(0) })).toBe(true);
        expect(await members.create({ teamId, principal: 'a@x.io', role: 'owner', createdAt: at(0), updatedAt: at(0) })).toBe(false);
        expect((await all((p) => members.list(teamId, p))).map((m) => m.principal)).toEqual(['a@x.io', 'b@x.io', 'c@x.io']);
        expect(await members.update(teamId, 'a@x.io', { role: 'owner', updatedAt: at(1) })).toMatchObject({ principal: 'a@x.io', role: 'owner', updatedAt: at(1) });
        expect(await members.update(teamId, 'z@x.io', { role: 'owner', updatedAt: at(1) })).toBeUndefined();
        expect(await members.delete(teamId, 'b@x.io')).toBe(true);
        expect(await members.delete(teamId, 'b@x.io')).toBe(false);
        expect((await all((p) => members.list(teamId, p))).map((m) => m.principal)).toEqual(['a@x.io', 'c@x.io']);
      });

      test("a list's cursor is refused by another list, and a made-up one too", async () => {
        const { members } = make();
        const [t1, t2] = [`team_${uid()}`, `team_${uid()}`];
        for (const principal of ['a@x.io', 'b@x.io']) await members.create({ teamId: t1, principal, role: 'viewer', createdAt: at(0), updatedAt: at(0) });
        const first = await members.list(t1, { limit: 1 });
        expect(first.next).not.toBeNull();
        await expect(members.list(t2, { limit: 1, cursor: first.next! })).rejects.toMatchObject({ code: 'invalid_cursor' });
        await expect(members.list(t1, { limit: 1, cursor: 'not-a-cursor' })).rejects.toMatchObject({ code: 'invalid_cursor' });
      });
    });

    describe('tokens and rate limits', () => {
      test('a token is found by hash and by id, listed newest first, and revoked', async () => {
        const { tokens } = make();
        const teamId = `team_${uid()}`;
        const token = (second: number): TokenRecord => ({ id: `tok_${uid()}`, teamId, name: 'ci', role: 'member', hash: uid() + uid(), createdAt: at(second) });
        const made = [token(1), token(3), token(2)];
        for (const t of made) await tokens.create(t);
        expect(await tokens.byHash(made[0]!.hash)).toEqual(made[0]);
        expect(await tokens.byId(made[1]!.id)).toEqual(made[1]);
        expect(await tokens.byHash(uid())).toBeUndefined();
        expect((await all((p) => tokens.list(teamId, p))).map((t) => t.id)).toEqual([made[1]!.id, made[2]!.id, made[0]!.id]);
        expect(await tokens.revoke(made[0]!.hash, at(9))).toEqual({ ...made[0], revokedAt: at(9) });
        expect((await tokens.byHash(made[0]!.hash))?.revokedAt).toBe(at(9));
      });

      test('a window counts up to its limit, then refuses; the next window starts again', async () => {
        const { rateLimits } = make();
        const tokenId = `tok_${uid()}`;
        const window = 1_700_000_040_000;
        for (let i = 0; i < 3; i++) expect(await rateLimits.consume(tokenId, window, 3, 1)).toBe(true);
        expect(await rateLimits.consume(tokenId, window, 3, 1)).toBe(false);
        expect(await rateLimits.consume(tokenId, window + 60_000, 3, 1)).toBe(true);
      });
    });

    describe('projects', () => {
      test('a name is unique in its team, and its production host platform-wide; the project is found by id and name', async () => {
        const repos = make();
        const { projects, aliases } = repos;
        const teamId = `team_${uid()}`;
        const p = project(teamId);
        expect(await create(repos, p)).toBe('created');
        expect(await aliases.get(`${p.name}.localhost`)).toEqual(claimOf(p));
        expect(await create(repos, { ...project(teamId), name: p.name })).toBe('name_taken');
        const other = { ...project(`team_${uid()}`), name: p.name };
        expect(await create(repos, other)).toBe('host_taken');
        // Nothing of the refused project was written.
        expect(await projects.get(other.id)).toBeUndefined();
        expect(await projects.idByName(other.teamId, p.name)).toBeUndefined();
        expect(await projects.get(p.id)).toEqual(p);
        expect(await projects.idByName(teamId, p.name)).toBe(p.id);
      });

      test('a deleted project is queued for cleanup until it is gone', async () => {
        const repos = make();
        const { projects } = repos;
        const p = project(`team_${uid()}`);
        await create(repos, p);
        expect((await projects.deleting(1000)).map((d) => d.id)).not.toContain(p.id);
        await projects.markDeleted(p, at(3));
        expect(await projects.deleting(1000)).toContainEqual({ ...p, deletedAt: at(3) });
        await projects.delete(p);
        expect((await projects.deleting(1000)).map((d) => d.id)).not.toContain(p.id);
      });

      test('listing is by name and leaves out projects being deleted', async () => {
        const { projects } = make();
        const teamId = `team_${uid()}`;
        const made = ['c', 'a', 'd', 'b'].map((n) => project(teamId, { name: `${n}-${uid()}` }));
        for (const p of made) await projects.create(p, claimOf(p));
        await projects.markDeleted(made[2]!, at(5));
        expect((await all((page) => projects.list(teamId, page))).map((p) => p.name)).toEqual([made[1]!.name, made[3]!.name, made[0]!.name]);
        expect((await projects.get(made[2]!.id))?.deletedAt).toBe(at(5));
      });

      test('an update writes only at the expected version and not while deleting; it bumps the version and clears settings', async () => {
        const { projects } = make();
        const p = project(`team_${uid()}`, { buildCommand: 'make', framework: 'vite' });
        await projects.create(p, claimOf(p));
        expect(await projects.update(p.id, { set: { installCommand: 'npm ci', updatedAt: at(1) }, clear: ['buildCommand'] }, 2)).toBeUndefined();
        const updated = await projects.update(p.id, { set: { installCommand: 'npm ci', updatedAt: at(1) }, clear: ['buildCommand'] }, 1);
        expect(updated).toMatchObject({ installCommand: 'npm ci', framework: 'vite', version: 2, updatedAt: at(1) });
        expect(updated).not.toHaveProperty('buildCommand');
        await projects.markDeleted(p, at(2));
        expect(await projects.update(p.id, { set: { updatedAt: at(3) }, clear: [] }, 2)).toBeUndefined();
      });

      test('deleting frees the name in the team (the host claim is the aliases\' to release)', async () => {
        const repos = make();
        const { projects, aliases } = repos;
        const p = project(`team_${uid()}`);
        await create(repos, p);
        await projects.delete(p);
        expect(await projects.get(p.id)).toBeUndefined();
        expect(await projects.idByName(p.teamId, p.name)).toBeUndefined();
        await aliases.delete(`${p.name}.localhost`);
        expect(await create(repos, { ...project(p.teamId), name: p.name })).toBe('created');
      });
    });

    describe('env vars', () => {
      const env = (projectId: string, key: string, target: EnvRecord['target']): EnvRecord => ({
        id: `env_${uid()}`,
        teamId: 'team_x',
        projectId,
        key,
        target,
        sensitive: false,
        ciphertext: 'c1',
        createdAt: at(0),
        updatedAt: at(0),
        version: 1,
      });

      test('created all or nothing: a key that has a value for a target rejects the whole batch and says which', async () => {
        const repos = make();
        const projectId = `prj_${uid()}`;
        expect(await repos.env.createAll([env(projectId, 'B', 'preview'), env(projectId, 'A', 'production')])).toEqual([]);
        expect(await repos.env.createAll([env(projectId, 'C', 'preview'), env(projectId, 'B', 'preview')])).toEqual([1]);
        expect((await repos.env.list(projectId)).map((e) => `${e.key}/${e.target}`)).toEqual(['A/production', 'B/preview']);
      });

      test('an update bumps the version; deleted vars are gone', async () => {
        const repos = make();
        const projectId = `prj_${uid()}`;
        const a = env(projectId, 'A', 'preview');
        await repos.env.createAll([a, env(projectId, 'A', 'production')]);
        expect(await repos.env.update(a, { ciphertext: 'c2', sensitive: true, updatedAt: at(1) })).toMatchObject({ ciphertext: 'c2', sensitive: true, version: 2 });
        await repos.env.delete([a]);
        expect((await repos.env.list(projectId)).map((e) => e.target)).toEqual(['production']);
      });
    });

    describe('deployments', () => {
      test('listed newest first per project and per team, filtered, every page resumable', async () => {
        const { deployments } = make();
        const teamId = `team_${uid()}`;
        const [p1, p2] = [project(teamId), project(teamId)];
        const made = [
          deployment(p1, 1, { branch: 'main', target: 'production', state: 'READY' }),
          deployment(p1, 2, { branch: 'feat' }),
          deployment(p2, 3, { branch: 'main' }),
          deployment(p1, 4, { branch: 'main', target: 'production', state: 'READY' }),
          deployment(p1, 5, { branch: 'main', state: 'ERROR' }),
        ];
        for (const d of made) await deployments.create(d);
        const ids = (list: DeploymentRecord[]) => list.map((d) => d.id);
        expect(ids(await all((page) => deployments.list({ teamId, projectId: p1.id }, {}, page)))).toEqual(ids([made[4]!, made[3]!, made[1]!, made[0]!]));
        expect(ids(await all((page) => deployments.list({ teamId }, {}, page)))).toEqual(ids([...made].reverse()));
        expect(ids(await all((page) => deployments.list({ teamId, projectId: p1.id }, { target: 'production', state: 'READY' }, page), 1))).toEqual(ids([made[3]!, made[0]!]));
        expect(ids(await all((page) => deployments.list({ teamId, projectId: p1.id }, { branch: 'main' }, page), 1))).toEqual(ids([made[4]!, made[3]!, made[0]!]));
        const after = await deployments.list({ teamId, projectId: p1.id }, {}, { limit: 10, cursor: deployments.cursorAfter(made[3]!, 'project') });
        expect(ids(after.items)).toEqual(ids([made[1]!, made[0]!]));
        await expect(deployments.list({ teamId, projectId: p2.id }, {}, { limit: 1, cursor: deployments.cursorAfter(made[3]!, 'project') })).rejects.toMatchObject({ code: 'invalid_cursor' });
        expect(await deployments.get(made[2]!.id)).toEqual(made[2]);
      });

      test("created with its host's claim at once, or not at all: a host with an owner, or a project gone, writes nothing", async () => {
        const repos = make();
        const { deployments, aliases, projects } = repos;
        const p = project(`team_${uid()}`);
        await create(repos, p);
        const d = deployment(p, 1);
        const host = { ...claimOf(p, d.url), kind: 'deployment' as const };
        expect(await deployments.create(d, host)).toBe('created');
        expect(await aliases.get(d.url)).toEqual(host);
        const squatted = deployment(p, 2);
        await aliases.claim(claimOf(p, squatted.url));
        expect(await deployments.create(squatted, { ...claimOf(p, squatted.url), kind: 'deployment' })).toBe('host_taken');
        expect(await deployments.get(squatted.id)).toBeUndefined();
        await projects.markDeleted(p, at(3));
        const late = deployment(p, 4);
        expect(await deployments.create(late, { ...claimOf(p, late.url), kind: 'deployment' })).toBe('project_gone');
        expect(await deployments.get(late.id)).toBeUndefined();
        expect(await aliases.get(late.url)).toBeUndefined();
      });

      test('in flight: a deployment is listed under its state while QUEUED or BUILDING, and no more once final', async () => {
        const { deployments } = make();
        const d = deployment(project(`team_${uid()}`), 1);
        await deployments.create(d);
        const ids = async (state: 'QUEUED' | 'BUILDING') => (await deployments.inFlight(state)).map((x) => x.id);
        expect(await ids('QUEUED')).toContain(d.id);
        await deployments.update(d.id, { state: 'BUILDING', buildingAt: at(2) }, ['QUEUED']);
        expect(await ids('QUEUED')).not.toContain(d.id);
        expect((await deployments.inFlight('BUILDING')).find((x) => x.id === d.id)).toMatchObject({ state: 'BUILDING', buildingAt: at(2) });
        await deployments.update(d.id, { edgeKeys: ['c:abc'] }, ['BUILDING']);
        expect(await ids('BUILDING')).toContain(d.id);
        await deployments.update(d.id, { state: 'READY', readyAt: at(3) }, ['BUILDING']);
        expect(await ids('BUILDING')).not.toContain(d.id);
        expect(await deployments.get(d.id)).toMatchObject({ state: 'READY', edgeKeys: ['c:abc'] });
      });

      test('an update applies only from one of the given states, bumping the version; of two racing updates one wins', async () => {
        const { deployments } = make();
        const d = deployment(project(`team_${uid()}`), 1);
        await deployments.create(d);
        expect(await deployments.update(d.id, { state: 'READY', readyAt: at(2) }, ['BUILDING'])).toBeUndefined();
        expect(await deployments.update(d.id, { state: 'BUILDING', buildingAt: at(2) }, ['QUEUED'])).toMatchObject({ state: 'BUILDING', buildingAt: at(2), version: 2 });
        const raced = await Promise.all([
          deployments.update(d.id, { state: 'READY', readyAt: at(3), configKey: 'k' }, ['BUILDING']),
          deployments.update(d.id, { state: 'CANCELED', canceledAt: at(3) }, ['QUEUED', 'BUILDING']),
        ]);
        expect(raced.filter((r) => r !== undefined)).toHaveLength(1);
        expect((await deployments.get(d.id))?.version).toBe(3);
        expect(await deployments.update(`dpl_${uid().slice(0, 9)}`, { state: 'BUILDING' }, ['QUEUED'])).toBeUndefined();
      });
    });

    describe('aliases', () => {
      const alias = (p: ProjectRecord, host: string, deploymentId: string, version: number, extra: Partial<AliasRecord> = {}): AliasRecord => ({
        host,
        teamId: p.teamId,
        projectId: p.id,
        deploymentId,
        edgeValue: deploymentId,
        kind: 'production',
        createdAt: at(0),
        updatedAt: at(version),
        version,
        ...extra,
      });

      test('a write is conditional on the version read: 0 for a new host, the stored one after', async () => {
        const repos = make();
        const { aliases } = repos;
        const p = project(`team_${uid()}`);
        await create(repos, p);
        const host = `www-${p.name}.localhost`;
        expect(await aliases.write(alias(p, host, 'dpl_aaaaaaaaa', 1), 0)).toBe('written');
        expect(await aliases.write(alias(p, host, 'dpl_bbbbbbbbb', 1), 0)).toBe('version_conflict');
        expect(await aliases.write(alias(p, host, 'dpl_bbbbbbbbb', 3), 2)).toBe('version_conflict');
        expect(await aliases.write(alias(p, host, 'dpl_bbbbbbbbb', 2, { previousDeploymentId: 'dpl_aaaaaaaaa', createdAt: at(9) }), 1)).toBe('written');
        // The stored alias keeps its creation time, team and project.
        expect(await aliases.get(host)).toEqual(alias(p, host, 'dpl_bbbbbbbbb', 2, { previousDeploymentId: 'dpl_aaaaaaaaa' }));
      });

      test('no write and no claim for a project that is gone or being deleted', async () => {
        const repos = make();
        const { projects, aliases } = repos;
        const p = project(`team_${uid()}`);
        const host = `www-${p.name}.localhost`;
        expect(await aliases.write(alias(p, host, 'dpl_aaaaaaaaa', 1), 0)).toBe('project_gone');
        expect(await aliases.claim(claimOf(p, host))).toBe('project_gone');
        await create(repos, p);
        await projects.markDeleted(p, at(1));
        expect(await aliases.write(alias(p, host, 'dpl_aaaaaaaaa', 1), 0)).toBe('project_gone');
        expect(await aliases.claim(claimOf(p, host))).toBe('project_gone');
        expect(await aliases.write(alias(p, `${p.name}.localhost`, 'dpl_aaaaaaaaa', 2), 1)).toBe('project_gone');
        expect(await aliases.get(host)).toBeUndefined();
      });

      test('a host is claimed once, platform-wide: the first claim decides, another project can neither claim nor write it', async () => {
        const repos = make();
        const { aliases } = repos;
        const [a, b] = [project(`team_${uid()}`), project(`team_${uid()}`)];
        await create(repos, a);
        await create(repos, b);
        const host = `shared-${uid()}.localhost`;
        expect(await aliases.claim(claimOf(a, host))).toBe('claimed');
        expect(await aliases.claim(claimOf(a, host))).toBe('taken');
        expect(await aliases.claim(claimOf(b, host))).toBe('taken');
        // A write of another project at the version it read changes nothing: the owner is in the condition.
        expect(await aliases.write(alias(b, host, 'dpl_bbbbbbbbb', 2), 1)).toBe('version_conflict');
        expect(await aliases.write(alias(b, host, 'dpl_bbbbbbbbb', 1), 0)).toBe('version_conflict');
        expect(await aliases.get(host)).toEqual(claimOf(a, host));
        // The owner points its reserved host at a deployment.
        expect(await aliases.write(alias(a, host, 'dpl_aaaaaaaaa', 2), 1)).toBe('written');
        expect(await aliases.get(host)).toMatchObject({ projectId: a.id, deploymentId: 'dpl_aaaaaaaaa', kind: 'production', version: 2 });
      });

      test("a project's aliases are listed by host without its deployment hosts; every host it owns is found, and deleted one by one", async () => {
        const repos = make();
        const { aliases } = repos;
        const p = project(`team_${uid()}`);
        await create(repos, p);
        const hosts = ['c', 'a', 'b'].map((h) => `${h}-${p.name}.localhost`);
        for (const host of hosts) await aliases.write(alias(p, host, 'dpl_aaaaaaaaa', 1, { kind: 'branch' }), 0);
        const deploymentHost = `${p.name}-abcdefghi.localhost`;
        expect(await aliases.claim({ ...claimOf(p, deploymentHost), kind: 'deployment' })).toBe('claimed');
        const production = `${p.name}.localhost`;
        expect((await all((page) => aliases.list(p.id, page))).map((a) => a.host)).toEqual([...hosts, production].sort());
        await aliases.delete(hosts[0]!);
        expect((await aliases.allOfProject(p.id)).map((a) => a.host).sort()).toEqual([hosts[1], hosts[2], production, deploymentHost].sort());
      });

      test('edge key references: any one of them is found until the last is removed', async () => {
        const { edgeKeys } = make();
        const key = `c:${uid()}`;
        const ref = (deploymentId: string) => ({ key, deploymentId, projectId: 'prj_x', value: '{"c":1}', createdAt: at(0) });
        expect(await edgeKeys.anyRef(key)).toBeUndefined();
        await edgeKeys.add(ref('dpl_aaaaaaaaa'));
        await edgeKeys.add(ref('dpl_bbbbbbbbb'));
        await edgeKeys.add(ref('dpl_bbbbbbbbb'));
        await edgeKeys.remove(key, 'dpl_aaaaaaaaa');
        expect(await edgeKeys.anyRef(key)).toEqual(ref('dpl_bbbbbbbbb'));
        await edgeKeys.remove(key, 'dpl_bbbbbbbbb');
        expect(await edgeKeys.anyRef(key)).toBeUndefined();
      });
    });

    describe('builds', () => {
      test('one build per deployment; where it runs is attached later', async () => {
        const { builds } = make();
        const build = { deploymentId: `dpl_${uid().slice(0, 9)}`, teamId: 'team_x', projectId: 'prj_x', tokenHash: 'h', createdAt: at(0) };
        expect(await builds.create(build)).toBe(true);
        expect(await builds.create({ ...build, tokenHash: 'other' })).toBe(false);
        await builds.attach(build.deploymentId, { buildId: 'b-1', logStream: 's-1' });
        expect(await builds.get(build.deploymentId)).toEqual({ ...build, buildId: 'b-1', logStream: 's-1' });
        expect(await builds.get(`dpl_${uid().slice(0, 9)}`)).toBeUndefined();
      });
    });

    describe('GitHub', () => {
      const installationId = () => Number.parseInt(uid().slice(0, 8), 16) + 1;

      test('an installation is linked to one team at a time; what GitHub says keeps the link', async () => {
        const { installations } = make();
        const id = installationId();
        const [t1, t2] = [`team_${uid()}`, `team_${uid()}`];
        await installations.put({ installationId: id, accountLogin: 'octo', createdAt: at(0), updatedAt: at(0) });
        expect(await installations.link({ installationId: id, accountLogin: 'octo', teamId: t1, linkedAt: at(1), createdAt: at(0), updatedAt: at(1) })).toBe(true);
        expect(await installations.link({ installationId: id, accountLogin: 'octo', teamId: t2, linkedAt: at(2), createdAt: at(0), updatedAt: at(2) })).toBe(false);
        await installations.put({ installationId: id, accountLogin: 'octo-renamed', createdAt: at(0), updatedAt: at(3) });
        expect(await installations.get(id)).toMatchObject({ accountLogin: 'octo-renamed', teamId: t1, linkedAt: at(1) });
        expect(await installations.linkedTo(t1)).toEqual([id]);
        await installations.setSuspended(id, at(4), at(4));
        expect((await installations.get(id))?.suspendedAt).toBe(at(4));
        await installations.setSuspended(id, undefined, at(5));
        expect(await installations.get(id)).not.toHaveProperty('suspendedAt');
        await installations.unlink(t1, id, at(6));
        expect(await installations.linkedTo(t1)).toEqual([]);
        expect(await installations.get(id)).not.toHaveProperty('teamId');
        expect(await installations.link({ installationId: id, accountLogin: 'octo', teamId: t2, linkedAt: at(7), createdAt: at(0), updatedAt: at(7) })).toBe(true);
        await installations.delete(id);
        expect(await installations.get(id)).toBeUndefined();
        expect(await installations.linkedTo(t2)).toEqual([]);
      });

      test("an installation's repositories are replaced and removed by id", async () => {
        const { installations } = make();
        const id = installationId();
        await installations.putRepositories([1, 2, 3].map((repoId) => ({ installationId: id, repoId, fullName: `o/r${repoId}`, private: repoId === 2 })));
        await installations.deleteRepositories(id, [1]);
        await installations.putRepositories([{ installationId: id, repoId: 3, fullName: 'o/renamed', private: false, defaultBranch: 'trunk' }]);
        expect(await installations.repositories(id)).toEqual([
          { installationId: id, repoId: 2, fullName: 'o/r2', private: true },
          { installationId: id, repoId: 3, fullName: 'o/renamed', private: false, defaultBranch: 'trunk' },
        ]);
      });

      test("a claim is taken once, and only by its team (another team's try leaves it)", async () => {
        const { claims } = make();
        const claim = { stateHash: uid(), teamId: `team_${uid()}`, createdAt: at(0), expiresAt: at(60), ttl: 1 };
        await claims.create(claim);
        expect(await claims.take(claim.stateHash, `team_${uid()}`)).toBeUndefined();
        expect(await claims.take(claim.stateHash, claim.teamId)).toEqual(claim);
        expect(await claims.take(claim.stateHash, claim.teamId)).toBeUndefined();
      });

      test("a deployment's git link: GitHub's deployment id recorded once, a pull request resets what was reported", async () => {
        const { gitDeployments } = make();
        const deploymentId = `dpl_${uid().slice(0, 9)}`;
        await gitDeployments.put({ deploymentId, installationId: 7, repo: 'o/r', sha: 'a'.repeat(40) });
        expect(await gitDeployments.setGithubDeploymentId(deploymentId, 11)).toBe(11);
        expect(await gitDeployments.setGithubDeploymentId(deploymentId, 12)).toBe(11);
        await gitDeployments.setReportedState(deploymentId, 'BUILDING');
        expect(await gitDeployments.get(deploymentId)).toMatchObject({ githubDeploymentId: 11, reportedState: 'BUILDING' });
        await gitDeployments.linkPullRequest(deploymentId, 5);
        const link = await gitDeployments.get(deploymentId);
        expect(link).toMatchObject({ prNumber: 5, githubDeploymentId: 11 });
        expect(link).not.toHaveProperty('reportedState');
      });
    });
  });
}
