import { describe, expect, test } from 'vitest';
import { Alias } from '../../../functions/src/core/alias/index.ts';
import { sweepHosts } from '../../../functions/src/core/alias/sweep.ts';
import { sweepStuck } from '../../../functions/src/core/build/sweep.ts';
import { Build } from '../../../functions/src/core/build/index.ts';
import { Deployment, type DeploymentInfo } from '../../../functions/src/core/deployment/index.ts';
import { GitHubEvents } from '../../../functions/src/core/github/index.ts';
import { reportEnd } from '../../../functions/src/core/github/report.ts';
import { Project, type ProjectInfo } from '../../../functions/src/core/project/index.ts';
import { remove as removeProject } from '../../../functions/src/core/project/delete.ts';
import { useDomain } from '../../support/domain.ts';

/**
 * Host ownership on in-memory repositories: every host the platform publishes belongs to exactly
 * one project, platform-wide; deleting a project removes every host and edge key it had; the
 * periodic sweeps remove what nobody owns and end deployments whose build state was lost.
 */
const domain = useDomain();
const { teamId, tick, newProject, filesDeployment, ready } = domain;
const ctx = () => domain.ctx();
const teamB = 'team_bbbbbbbbbbbbbbbb';
const edge = () => ctx().edge.entries;

/** A project as one made before hosts had owners: no claim of its production host. */
async function legacyProject(name: string, team: string): Promise<ProjectInfo> {
  const now = new Date().toISOString();
  const record = { id: `prj_${Math.random().toString(36).slice(2, 14)}`, teamId: team, name, productionBranch: 'main', createdAt: now, updatedAt: now, version: 1 };
  const placeholder = `placeholder-${record.id}.invalid`;
  expect(await ctx().projects.create(record, Alias.claimRecord(placeholder, record, 'production'))).toBe('created');
  await ctx().aliases.delete(placeholder);
  return Project.get(team, record.id);
}

const routing = { runwayJson: { redirects: [{ source: '/old', destination: '/' }] } };

describe('a host belongs to exactly one project, platform-wide', () => {
  test("production host, either order: the first project of a name owns <name>.D; another team's project of that name is refused at creation (409) and nothing of it is written", async () => {
    for (const [first, second] of [
      [teamId, teamB],
      [teamB, teamId],
    ] as const) {
      const name = `shop${first.slice(5, 9)}`;
      const owner = await newProject({ name }, first);
      await expect(Project.create(second, { name })).rejects.toMatchObject({ code: 'project_name_taken', message: expect.stringContaining('taken on this platform') });
      await expect(Project.get(second, name)).rejects.toMatchObject({ code: 'project_not_found' });
      const live = await ready(await filesDeployment(owner, { target: 'production' }));
      expect(live).not.toHaveProperty('aliasError');
      expect(edge().get(`${name}.localhost`)).toBe(live.id);
      expect(await ctx().aliases.get(`${name}.localhost`)).toMatchObject({ projectId: owner.id, teamId: first, kind: 'production' });
    }
  });

  test('a new project reserves its production host before any deployment, and the name in its team as before', async () => {
    const project = await newProject({ name: 'reserved' });
    expect(await ctx().aliases.get('reserved.localhost')).toMatchObject({ projectId: project.id, kind: 'production', version: 1 });
    expect(await ctx().aliases.get('reserved.localhost')).not.toHaveProperty('deploymentId');
    expect(edge().has('reserved.localhost')).toBe(false);
    await expect(Project.create(teamId, { name: 'reserved' })).rejects.toMatchObject({ code: 'project_name_taken' });
  });

  test.each(['shop-git-main', 'shop-git', 'a-git-b-git-c', 'x-git-'.slice(0, 5)])('a name shaped like a branch host (%s) is refused with 400 invalid_project_name', async (name) => {
    await expect(Project.create(teamB, { name })).rejects.toMatchObject({ code: 'invalid_project_name', message: expect.stringContaining('-git-') });
    expect(await ctx().aliases.get(`${name}.localhost`)).toBeUndefined();
  });

  test('names that merely contain "git" are fine', async () => {
    for (const name of ['git', 'github-pages', 'my-gitbook', 'git-x', 'digit-git2']) await expect(newProject({ name })).resolves.toMatchObject({ name });
  });

  test("branch host, victim first: project a's branch host is never taken by a project named like it (an old one, from before the rule)", async () => {
    const a = await newProject({ name: 'shop' });
    const preview = await ready(await filesDeployment(a, { branch: 'main' }));
    expect(edge().get('shop-git-main.localhost')).toBe(preview.id);
    // Such a name cannot be created any more; one that exists from before cannot take the host.
    const squatter = await legacyProject('shop-git-main', teamB);
    const theirs = await ready(await filesDeployment(squatter, { target: 'production' }));
    expect(theirs).toMatchObject({ state: 'READY', aliasError: { host: 'shop-git-main.localhost', code: 'alias_host_taken', message: expect.stringContaining('another project') } });
    expect(edge().get('shop-git-main.localhost')).toBe(preview.id);
    expect(edge().get(theirs.url)).toBe(theirs.id);
  });

  test('branch host, squatter first: an old project holding <a>-git-<branch> keeps it, and project a\'s READY deployment says the host was refused', async () => {
    const squatter = await legacyProject('cart-git-main', teamB);
    const theirs = await ready(await filesDeployment(squatter, { target: 'production' }));
    expect(edge().get('cart-git-main.localhost')).toBe(theirs.id);
    const a = await newProject({ name: 'cart' });
    const mine = await ready(await filesDeployment(a, { branch: 'main' }));
    expect(mine.state).toBe('READY');
    expect(mine.aliasError).toEqual({ host: 'cart-git-main.localhost', code: 'alias_host_taken', message: expect.any(String) });
    expect((await Deployment.get(mine.id)).aliasError?.host).toBe('cart-git-main.localhost');
    expect(edge().get('cart-git-main.localhost')).toBe(theirs.id);
    // Its own URL serves it all the same.
    expect(edge().get(mine.url)).toBe(mine.id);
  });

  test('production host of two projects of one name from before the rule: the first to deploy keeps it; the other is READY with the refusal, and GitHub shows failure naming the host', async () => {
    const [a, b] = [await legacyProject('blog', teamId), await legacyProject('blog', teamB)];
    const first = await ready(await filesDeployment(b, { target: 'production' }));
    expect(edge().get('blog.localhost')).toBe(first.id);
    // A's production deployment of a commit, reported to GitHub like any git deployment.
    tick();
    const sha = 'c'.repeat(40);
    const deployment = await Build.submit({ teamId, project: a, target: 'production', source: { type: 'git', provider: 'github', repo: domain.repo, sha }, branch: 'main', commitSha: sha });
    await ctx().gitDeployments.put({ deploymentId: deployment.id, installationId: domain.installationId, repo: domain.repo, sha });
    const done = await ready(deployment);
    expect(done).toMatchObject({ state: 'READY', aliasError: { host: 'blog.localhost', code: 'alias_host_taken' } });
    await reportEnd(done);
    expect(ctx().github.statuses.at(-1)).toMatchObject({ sha, state: 'failure', description: expect.stringContaining('blog.localhost was refused') });
    expect(edge().get('blog.localhost')).toBe(first.id);
  });

  test('deployment hosts are claimed with the deployment: a project named like one is refused; an id whose host is owned is replaced', async () => {
    const a = await newProject({ name: 'docs' });
    const d = await filesDeployment(a);
    expect(await ctx().aliases.get(d.url)).toMatchObject({ projectId: a.id, kind: 'deployment' });
    const label = d.url.split('.')[0]!;
    await expect(Project.create(teamB, { name: label })).rejects.toMatchObject({ code: 'project_name_taken' });
    // The first id drawn gives a host someone owns: another id is drawn, nothing is overwritten.
    const create = ctx().deployments.create.bind(ctx().deployments);
    const tried: string[] = [];
    ctx().deployments.create = async (record, host) => {
      tried.push(record.url);
      return tried.length === 1 ? 'host_taken' : create(record, host);
    };
    const next = await filesDeployment(a);
    expect(tried).toHaveLength(2);
    expect(next.url).toBe(tried[1]);
    expect(next.url).not.toBe(tried[0]);
  });

  test('claim: the owner claims again with no effect; another project is refused; a custom domain under the platform domain is refused', async () => {
    const [a, b] = [await newProject(), await newProject({}, teamB)];
    const first = await Alias.claim('www.example.org', a, 'custom');
    expect(await Alias.claim('www.example.org', a, 'custom')).toEqual(first);
    await expect(Alias.claim('www.example.org', b, 'custom')).rejects.toMatchObject({ code: 'alias_host_taken' });
    await expect(Alias.claim(`${b.name}.localhost`, a, 'custom')).rejects.toMatchObject({ code: 'platform_host' });
    expect((await Alias.hostsOf(a.id)).map((h) => h.host).sort()).toEqual([`${a.name}.localhost`, 'www.example.org']);
  });
});

describe('deleting a project removes every host it had', () => {
  test('production, branch and every deployment host leave the edge with their records (routes live in the deployment index, not the edge store)', async () => {
    const p = await newProject({ name: 'gone' });
    const other = await newProject({ name: 'stays' });
    const prod = await ready(await filesDeployment(p, { target: 'production', branch: 'main' }), undefined, routing);
    const preview = await ready(await filesDeployment(p, { branch: 'feat' }), undefined, { runwayJson: { cleanUrls: true } });
    const failed = await filesDeployment(p);
    await Build.fail(failed.id, 'build', 'boom');
    const shared = await ready(await filesDeployment(other, { target: 'production' }), undefined, routing);
    const hosts = ['gone.localhost', 'gone-git-main.localhost', 'gone-git-feat.localhost', prod.url, preview.url];
    for (const host of hosts) expect(edge().has(host)).toBe(true);
    expect([prod.configKey, shared.configKey, [...edge().keys()].filter((k) => k.startsWith('c:'))]).toEqual([undefined, undefined, []]);

    expect(await removeProject(teamId, 'gone')).toBe(true);
    for (const host of [...hosts, failed.url]) {
      expect(edge().has(host), host).toBe(false);
      expect(await ctx().aliases.get(host), host).toBeUndefined();
    }
    // Everything of the other project stays.
    expect(edge().get('stays.localhost')).toBe(shared.id);
    // The name is free again, in the team and on the platform.
    await expect(Project.create(teamB, { name: 'gone' })).resolves.toMatchObject({ name: 'gone' });
  });

  test('a project from before host records: its deployments\' own hosts (no record) go with it at once', async () => {
    const p = await legacyProject('olden', teamId);
    const d = await ready(await filesDeployment(p, { target: 'production' }));
    // A deployment as finalize left it before this change: its host in the edge store, no record, no `edgeKeys`.
    const record = (await ctx().deployments.get(d.id))!;
    delete record.edgeKeys;
    await ctx().deployments.create({ ...record, id: 'dpl_olden0001', shortId: 'olden0001', url: 'olden-olden0001.localhost' });
    await ctx().edge.put('olden-olden0001.localhost', 'dpl_olden0001');
    expect(await removeProject(teamId, p.id)).toBe(true);
    for (const host of ['olden.localhost', d.url, 'olden-olden0001.localhost']) expect(edge().has(host), host).toBe(false);
  });

  test('a delete that runs out of time leaves the project gone for readers, and the sweep finishes it', async () => {
    const p = await newProject({ name: 'big' });
    const made: DeploymentInfo[] = [];
    for (let i = 0; i < 3; i++) made.push(await ready(await filesDeployment(p, { target: 'production' }), undefined, { runwayJson: { trailingSlash: i === 0 } }));
    expect(await removeProject(teamId, 'big', -1)).toBe(false);
    await expect(Project.get(teamId, 'big')).rejects.toMatchObject({ code: 'project_not_found' });
    expect(made.some((d) => edge().has(d.url))).toBe(true);
    expect((await sweepHosts()).purged).toEqual([p.id]);
    expect([...edge().keys()].filter((k) => made.some((d) => k === d.url || k === `c:${d.configKey}`) || k.startsWith('big'))).toEqual([]);
    expect(await ctx().projects.get(p.id)).toBeUndefined();
  });
});

describe('the orphan sweep', () => {
  test('removes keys nobody owns — a stray host, a host of a project long gone, a reserved host with an entry, a config nobody refers to — and leaves every owned one; a second run removes nothing', async () => {
    const live = await newProject({ name: 'live' });
    const d = await ready(await filesDeployment(live, { target: 'production', branch: 'main' }), undefined, routing);
    const reserved = await newProject({ name: 'reserved' });
    const owned = new Map(edge());
    // Planted: what earlier bugs and crashes left behind.
    await ctx().edge.put('stray.localhost', 'dpl_zzzzzzzzz');
    await ctx().edge.put(`${reserved.name}.localhost`, 'dpl_yyyyyyyyy');
    await ctx().edge.put('c:0123456789ab', '{"c":1}');
    const gone = await newProject({ name: 'old' });
    const old = await ready(await filesDeployment(gone, { target: 'production' }));
    await ctx().projects.delete(gone); // its records vanished, its hosts stayed (the old delete bug)

    const report = await sweepHosts();
    expect(report.removed.sort()).toEqual(['c:0123456789ab', 'old.localhost', old.url, 'reserved.localhost', 'stray.localhost'].sort());
    expect(new Map(edge())).toEqual(owned);
    expect(edge().get('live.localhost')).toBe(d.id);
    expect(await ctx().aliases.get('old.localhost')).toBeUndefined();
    expect((await sweepHosts()).removed).toEqual([]);
  });

  test('adopts what deployments published before hosts had owners: their own host and routing config stay, now owned', async () => {
    const p = await legacyProject('legacy', teamId);
    const ready_ = await ready(await filesDeployment(p, { target: 'production' }), undefined, routing);
    // As a deployment finalized before hosts had owners (and before routes moved to the deployment
    // index) left things: no record of its own host, a routing config `c:<key>` nobody refers to.
    const d = { ...ready_, configKey: '0123456789ab' };
    await ctx().edge.put(`c:${d.configKey}`, '{"c":1}');
    await ctx().aliases.delete(d.url);
    const record = (await ctx().deployments.get(d.id))!;
    delete record.edgeKeys;
    await ctx().deployments.create({ ...record, configKey: d.configKey, id: 'dpl_legacy001', shortId: 'legacy001', url: 'legacy-legacy001.localhost' });
    await ctx().edge.put('legacy-legacy001.localhost', `dpl_legacy001 ${d.configKey}`);
    await ctx().aliases.delete(d.url);

    const report = await sweepHosts();
    expect(report.removed).not.toContain('legacy-legacy001.localhost');
    expect(report.removed).not.toContain(`c:${d.configKey}`);
    expect(report.adopted).toEqual(expect.arrayContaining(['legacy-legacy001.localhost', `c:${d.configKey}`]));
    expect(await ctx().aliases.get('legacy-legacy001.localhost')).toMatchObject({ projectId: p.id, kind: 'deployment', deploymentId: 'dpl_legacy001' });
    expect(await ctx().edgeKeys.anyRef(`c:${d.configKey}`)).toMatchObject({ deploymentId: 'dpl_legacy001' });
    // Once adopted, deleting the project removes them like any other.
    await removeProject(teamId, p.id);
    expect(edge().has('legacy-legacy001.localhost')).toBe(false);
    expect(edge().has(`c:${d.configKey}`)).toBe(false);
  });

  test('a host claimed and published while the sweep removes it is put back', async () => {
    const p = await newProject({ name: 'race' });
    await ctx().edge.put('race-git-new.localhost', 'stale');
    const remove = ctx().edge.delete.bind(ctx().edge);
    let raced: DeploymentInfo | undefined;
    ctx().edge.delete = async (host) => {
      await remove(host);
      if (host === 'race-git-new.localhost' && !raced) raced = await ready(await filesDeployment(p, { branch: 'new' }));
    };
    await sweepHosts();
    expect(raced).toBeDefined();
    expect(edge().get('race-git-new.localhost')).toBe(raced!.id);
  });
});

describe('pull requests and branch hosts', () => {
  const sha1 = '1'.repeat(40);

  test('closing a pull request keeps the branch host; a later push of the same commit restores it if it was removed; deleting the branch removes it', async () => {
    const project = await domain.linkedProject();
    ctx().github.head(domain.repo, 'feat', sha1);
    const { deployments } = await GitHubEvents.handle(domain.push(sha1, 'feat'));
    await GitHubEvents.handle(domain.pullRequest('opened', 9, 'feat', sha1));
    const d = await ready(await Deployment.get(deployments![0]!));
    const host = `${project.name}-git-feat.localhost`;
    expect(edge().get(host)).toBe(d.id);

    expect(await GitHubEvents.handle(domain.pullRequest('closed', 9, 'feat', sha1))).toMatchObject({ outcome: 'ignored' });
    expect(edge().get(host)).toBe(d.id);
    expect((await ctx().aliases.get(host))?.deploymentId).toBe(d.id);

    // Removed behind its back (as the old pull-request close did): the same commit pushed again restores it, with no new build.
    await ctx().edge.delete(host);
    await ctx().aliases.delete(host);
    expect((await GitHubEvents.handle(domain.push(sha1, 'feat'))).deployments).toEqual([d.id]);
    expect(edge().get(host)).toBe(d.id);
    expect(ctx().scheduler.scheduled).toHaveLength(1);

    await GitHubEvents.handle({ ...domain.push(sha1, 'feat'), deleted: true, headCommit: null });
    expect(edge().has(host)).toBe(false);
    expect(await ctx().aliases.get(host)).toBeUndefined();
  });
});

describe('the stuck-deployment sweep', () => {
  const limits = { buildMs: 15 * 60_000, queuedMs: 60 * 60_000 };

  test('ends ERROR what stayed QUEUED or BUILDING past its limits, stops its build, and leaves the rest; a second run does nothing', async () => {
    const p = await newProject();
    const queued = await filesDeployment(p);
    const building = await filesDeployment(p);
    await Build.begin(building.id);
    const done = await ready(await filesDeployment(p));
    tick(20 * 60_000);
    const fresh = await filesDeployment(p);
    await Build.begin(fresh.id);
    // 26 minutes on: past 15 + 10 for the first BUILDING one, not past 60 + 10 for the QUEUED one.
    tick(6 * 60_000);
    const first = await sweepStuck(limits, Date.now());
    expect(first.map((s) => [s.deployment.id, s.was])).toEqual([[building.id, 'BUILDING']]);
    expect(await Deployment.get(building.id)).toMatchObject({ state: 'ERROR', errorStep: 'timeout', errorMessage: expect.stringContaining('no result within 25 minutes') });
    expect(ctx().scheduler.canceled).toEqual([{ id: building.id, buildId: `recorded:${building.id}` }]);
    expect((await Deployment.get(fresh.id)).state).toBe('BUILDING');

    const later = Date.now() + 60 * 60_000;
    expect((await sweepStuck(limits, later)).map((s) => s.deployment.id).sort()).toEqual([fresh.id, queued.id].sort());
    expect(await Deployment.get(queued.id)).toMatchObject({ state: 'ERROR', errorStep: 'timeout', errorMessage: expect.stringContaining('did not start') });
    expect((await Deployment.get(done.id)).state).toBe('READY');
    expect(await sweepStuck(limits, later)).toEqual([]);
  });
});
