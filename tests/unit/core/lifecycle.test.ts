import { beforeEach, describe, expect, test } from 'vitest';
import { Alias } from '../../../functions/src/core/alias/index.ts';
import { Build } from '../../../functions/src/core/build/index.ts';
import { resultLine } from '../../../functions/src/core/build/contract.ts';
import { Deployment, DEPLOYMENT_STATES, type DeploymentInfo } from '../../../functions/src/core/deployment/index.ts';
import { GitHubEvents } from '../../../functions/src/core/github/index.ts';
import { useDomain } from '../../support/domain.ts';
import type { MemoryContext } from '../../support/memory-context.ts';
import { stateMachineCases } from '../../support/state-machine-cases.ts';

/**
 * The domain's decisions on in-memory repositories (no emulator): the state machine, the build
 * lifecycle, finalize, alias moves and the GitHub deploy decision.
 */
const domain = useDomain();
const { teamId, sha, tick, newProject, filesDeployment, buildOutput, ready, repo, linkedProject, push } = domain;
let ctx: MemoryContext;
beforeEach(() => {
  ctx = domain.ctx();
});

describe('the deployment state machine', () => {
  stateMachineCases(async () => filesDeployment(await newProject()));

  test('final states are READY, ERROR and CANCELED; the others are active', () => {
    expect(DEPLOYMENT_STATES.filter((s) => Deployment.isFinal(s))).toEqual(['READY', 'ERROR', 'CANCELED']);
    expect(Deployment.ACTIVE_STATES).toEqual(['QUEUED', 'BUILDING']);
  });
});

describe('the build lifecycle', () => {
  test('schedule mints a token, starts the build and records where it runs', async () => {
    const d = await filesDeployment(await newProject());
    expect(ctx.scheduler.scheduled.map((b) => b.id)).toEqual([d.id]);
    const record = await Build.record(d.id);
    expect(record).toMatchObject({ deploymentId: d.id, buildId: `recorded:${d.id}`, logStream: d.id });
    expect(record?.tokenHash).toBe(sha(ctx.scheduler.scheduled[0]!.token));
    // The token opens the build API for this deployment only, and its job lists the files.
    const { deployment } = await Build.authorize(d.id, `Bearer ${ctx.scheduler.scheduled[0]!.token}`);
    expect((await Build.job(deployment)).source).toEqual({ type: 'files', files: [{ file: 'index.html', sha: sha('hi'), size: 2 }] });
    await expect(Build.prepare(d)).rejects.toMatchObject({ code: 'build_exists' });
  });

  test('a scheduler that fails leaves the deployment ERROR at step schedule, not QUEUED', async () => {
    ctx.scheduler.failWith = new Error('scheduler down');
    await expect(filesDeployment(await newProject())).rejects.toThrow('scheduler down');
    const [d] = (await Deployment.list({ teamId }, {}, { limit: 1 })).items;
    expect(d).toMatchObject({ state: 'ERROR', errorStep: 'schedule' });
  });

  test('finish: started → BUILDING; stopped → CANCELED; timed out → ERROR timeout; failed → ERROR with the step and the log tail', async () => {
    const project = await newProject();
    const [a, b, c, d] = [await filesDeployment(project), await filesDeployment(project), await filesDeployment(project), await filesDeployment(project)];
    expect(await Build.finish({ deploymentId: a.id, status: 'started' })).toBeUndefined();
    expect((await Deployment.get(a.id)).state).toBe('BUILDING');
    expect(await Build.finish({ deploymentId: b.id, status: 'stopped' })).toMatchObject({ state: 'CANCELED' });
    expect(await Build.finish({ deploymentId: c.id, status: 'timed_out' })).toMatchObject({ state: 'ERROR', errorStep: 'timeout' });
    await ctx.logs.append(d.id, ['npm ERR! missing script: build', resultLine({ ok: false, step: 'install', error: 'exit code 1' })].map((message) => ({ timestamp: 0, message })));
    const failed = await Build.finish({ deploymentId: d.id, status: 'failed' });
    expect(failed).toMatchObject({ state: 'ERROR', errorStep: 'install' });
    expect(failed?.errorMessage).toBe('exit code 1\nnpm ERR! missing script: build');
    // A repeat of an end already applied changes nothing; an unknown deployment is ignored.
    expect(await Build.finish({ deploymentId: b.id, status: 'stopped' })).toMatchObject({ state: 'CANCELED', version: 2 });
    expect(await Build.finish({ deploymentId: 'dpl_000000000', status: 'succeeded' })).toBeUndefined();
  });

  test('begin is idempotent and tolerates a deployment that moved on', async () => {
    const d = await filesDeployment(await newProject());
    expect((await Build.begin(d.id)).state).toBe('BUILDING');
    expect((await Build.begin(d.id)).version).toBe(2);
    await Build.cancel(d.id, { teamId });
    expect((await Build.begin(d.id)).state).toBe('CANCELED');
  });

  test('cancel: CANCELED first, then the build is stopped by its id; a READY one cannot be canceled', async () => {
    const project = await newProject();
    const d = await filesDeployment(project);
    expect(await Build.cancel(d.id, { teamId })).toMatchObject({ state: 'CANCELED' });
    expect(ctx.scheduler.canceled).toEqual([{ id: d.id, buildId: `recorded:${d.id}` }]);
    expect((await Build.cancel(d.id, { teamId })).state).toBe('CANCELED');
    const done = await ready(await filesDeployment(project));
    await expect(Build.cancel(done.id, { teamId })).rejects.toMatchObject({ code: 'deployment_not_cancelable', details: { state: 'READY' } });
  });
});

describe('finalize', () => {
  test('writes the deployment index (routes + path → blob, nothing copied), publishes the hosts, marks READY and moves production and branch aliases', async () => {
    const project = await newProject();
    const d = await filesDeployment(project, { target: 'production', branch: 'main' });
    buildOutput(d, { 'index.html': '<h1>v1</h1>', 'about/index.html': 'about' }, { runwayJson: { redirects: [{ source: '/old', destination: '/' }] } });
    const objectsBefore = ctx.artifacts.objects.size;
    const done = await Build.finalize(d.id);
    expect(done).toMatchObject({ state: 'READY', buildingAt: expect.any(String), readyAt: expect.any(String) });
    expect(done.configKey).toBeUndefined();
    // One object written, whatever the number of files: the index.
    expect(ctx.artifacts.objects.size).toBe(objectsBefore + 1);
    const index = JSON.parse(ctx.artifacts.objects.get(`routes/${d.id}.json`)!.text);
    expect(index).toMatchObject({ version: 1, deploymentId: d.id, teamId, framework: 'static', immutable: [], varies: false });
    expect(index.files).toEqual({ 'index.html': [sha('<h1>v1</h1>'), 11, 'text/html; charset=utf-8'], 'about/index.html': [sha('about'), 5, 'text/html; charset=utf-8'] });
    expect(index.config.version).toBe(3);
    expect(JSON.stringify(index.config.routes)).toContain('/old');
    expect([...ctx.artifacts.objects.keys()].filter((k) => k.startsWith('d/'))).toEqual([]);
    expect(ctx.edge.entries.get(d.url)).toBe(d.id);
    expect(ctx.edge.entries.get(`${project.name}.localhost`)).toBe(d.id);
    expect(ctx.edge.entries.get(`${project.name}-git-main.localhost`)).toBe(d.id);
    expect([...ctx.edge.entries.keys()].filter((k) => k.startsWith('c:'))).toEqual([]);
    // A redelivered event finds it READY and changes nothing.
    expect(await Build.finalize(d.id)).toEqual(done);
  });

  test('a framework\'s own Build Output API config.json is validated and kept as is', async () => {
    const d = await filesDeployment(await newProject());
    const buildOutputConfig = { version: 3, routes: [{ src: '^/_app/immutable/(.*)$', headers: { 'cache-control': 'public, immutable, max-age=31536000' }, continue: true }, { handle: 'filesystem' }] };
    buildOutput(d, { 'index.html': 'x' }, { buildOutput: buildOutputConfig });
    expect(await Build.finalize(d.id)).toMatchObject({ state: 'READY' });
    expect(JSON.parse(ctx.artifacts.objects.get(`routes/${d.id}.json`)!.text).config).toEqual(buildOutputConfig);
  });

  test('a framework config.json with a route field Runway does not know: ERROR at step config naming it, nothing published', async () => {
    const d = await filesDeployment(await newProject());
    buildOutput(d, { 'index.html': 'x' }, { buildOutput: { version: 3, routes: [{ src: '^/a$', middlewarePath: 'mw' }] } });
    const failed = await Build.finalize(d.id);
    expect(failed).toMatchObject({ state: 'ERROR', errorStep: 'config' });
    expect(failed.errorMessage).toContain('middlewarePath');
    expect(ctx.edge.entries.has(d.url)).toBe(false);
  });

  test.each([
    ['no manifest', () => undefined, 'The build ended without writing a manifest'],
    ['a manifest that is not JSON', (d: DeploymentInfo) => ctx.artifacts.objects.set(`manifests/${d.id}.json`, { text: '{' }), 'The build wrote an invalid manifest'],
    ['a manifest with a ".." path', (d: DeploymentInfo) => buildOutput(d, { '../escape.html': 'x' }), 'The build wrote an invalid manifest'],
    ['a path over 1024 bytes', (d: DeploymentInfo) => buildOutput(d, { [`${'a'.repeat(1020)}.html`]: 'x' }), 'The build wrote an invalid manifest'],
  ])('%s: ERROR at step manifest, nothing published', async (_, write, message) => {
    const d = await filesDeployment(await newProject());
    write(d);
    const failed = await Build.finalize(d.id);
    expect(failed).toMatchObject({ state: 'ERROR', errorStep: 'manifest' });
    expect(failed.errorMessage).toContain(message);
    expect(ctx.edge.entries.has(d.url)).toBe(false);
  });

  test('output that references a blob never uploaded: ERROR at step finalize', async () => {
    const d = await filesDeployment(await newProject());
    buildOutput(d, { 'index.html': 'x' });
    ctx.artifacts.objects.delete(`blobs/${teamId}/${sha('x')}`);
    ctx.blobs.blobs.delete(`${teamId}/${sha('x')}`);
    expect(await Build.finalize(d.id)).toMatchObject({ state: 'ERROR', errorStep: 'finalize' });
  });

  test('a deployment canceled while its index is written publishes nothing: no host', async () => {
    const d = await filesDeployment(await newProject());
    buildOutput(d, { 'index.html': 'x' }, { runwayJson: { cleanUrls: true } });
    const putText = ctx.artifacts.putText.bind(ctx.artifacts);
    ctx.artifacts.putText = async (key, text, type) => {
      await putText(key, text, type);
      if ((await Deployment.get(d.id)).state !== 'CANCELED') await Build.cancel(d.id, { teamId });
    };
    expect((await Build.finalize(d.id)).state).toBe('CANCELED');
    expect([...ctx.edge.entries.keys()]).toEqual([]);
    expect((await ctx.aliases.get(d.url))?.deploymentId).toBeUndefined();
  });

  test('a deployment canceled meanwhile stays CANCELED and publishes nothing', async () => {
    const d = await filesDeployment(await newProject());
    await Build.cancel(d.id, { teamId });
    buildOutput(d, { 'index.html': 'x' });
    expect((await Build.finalize(d.id)).state).toBe('CANCELED');
    expect(ctx.edge.entries.size).toBe(0);
  });
});

describe('alias moves', () => {
  test('never backwards: an older deployment finishing last does not take the branch host', async () => {
    const project = await newProject();
    const older = await filesDeployment(project, { branch: 'feat' });
    const newer = await filesDeployment(project, { branch: 'feat' });
    await ready(newer);
    await ready(older);
    const host = `${project.name}-git-feat.localhost`;
    expect((await ctx.aliases.get(host))?.deploymentId).toBe(newer.id);
    expect(ctx.edge.entries.get(host)).toBe(newer.id);
    // Its own immutable host works all the same.
    expect(ctx.edge.entries.get(older.url)).toBe(older.id);
  });

  test('the versioned write: when another move wins the race, the loser decides again on what it finds', async () => {
    const project = await newProject();
    const older = await filesDeployment(project, { target: 'production' });
    const newer = await filesDeployment(project, { target: 'production' });
    const host = `${project.name}.localhost`;
    await Deployment.transition(older.id, { from: ['QUEUED'], to: 'BUILDING' });
    const olderReady = await Deployment.transition(older.id, { from: ['BUILDING'], to: 'READY' });
    await Deployment.transition(newer.id, { from: ['QUEUED'], to: 'BUILDING' });
    const newerReady = await Deployment.transition(newer.id, { from: ['BUILDING'], to: 'READY' });
    // The older move reads "no alias" and decides to write; the newer one writes first.
    const write = ctx.aliases.write.bind(ctx.aliases);
    let raced = false;
    ctx.aliases.write = async (alias, expectedVersion) => {
      if (!raced && alias.deploymentId === older.id) {
        raced = true;
        await Alias.moveForward({ host, kind: 'production', project, deployment: newerReady });
      }
      return write(alias, expectedVersion);
    };
    expect(await Alias.moveForward({ host, kind: 'production', project, deployment: olderReady })).toBeUndefined();
    expect(raced).toBe(true);
    // Version 1 is the claim written with the project; the newer deployment's move is the only write since.
    expect(await ctx.aliases.get(host)).toMatchObject({ deploymentId: newer.id, version: 2 });
    expect(ctx.edge.entries.get(host)).toBe(newer.id);
  });

  test('promote with a stale version is a conflict; rollback goes to the previous READY production deployment', async () => {
    const project = await newProject();
    const first = await ready(await filesDeployment(project, { target: 'production' }));
    const second = await ready(await filesDeployment(project, { target: 'production' }));
    const host = `${project.name}.localhost`;
    expect((await ctx.aliases.get(host))?.deploymentId).toBe(second.id);
    // Versions: 1 the claim at project creation, 2 and 3 the two moves forward.
    await expect(Alias.promote(project, first.id, 2)).rejects.toMatchObject({ code: 'alias_conflict', details: { currentVersion: 3 } });
    const rolled = await Alias.rollback(project);
    expect(rolled).toMatchObject({ alias: { deploymentId: first.id, previousDeploymentId: second.id, version: 4 }, edge: { synced: true, deploymentId: first.id } });
    expect(rolled.alias).not.toHaveProperty('edgeValue');
    expect(ctx.edge.entries.get(host)).toBe(first.id);
  });

  test('a host of another project is never taken over', async () => {
    const [a, b] = [await newProject(), await newProject()];
    const d = await ready(await filesDeployment(b));
    await ready(await filesDeployment(a, { target: 'production' }));
    await expect(Alias.assign({ host: `${a.name}.localhost`, kind: 'production', project: b, deployment: d })).rejects.toMatchObject({ code: 'alias_host_taken' });
  });
});

describe('the GitHub deploy decision', () => {
  const installationId = domain.installationId;
  const sha1 = '1'.repeat(40);
  const sha2 = '2'.repeat(40);

  test('a push to the production branch deploys production; a newer push cancels the older build', async () => {
    const project = await linkedProject();
    ctx.github.head(repo, 'main', sha1);
    tick();
    const first = await GitHubEvents.handle(push(sha1));
    expect(first).toMatchObject({ outcome: 'deployed', deployments: [expect.any(String)] });
    const d1 = await Deployment.get(first.deployments![0]!);
    expect(d1).toMatchObject({ target: 'production', branch: 'main', commitSha: sha1, state: 'QUEUED', projectId: project.id });
    ctx.github.head(repo, 'main', sha2);
    tick();
    const second = await GitHubEvents.handle(push(sha2));
    expect((await Deployment.get(d1.id)).state).toBe('CANCELED');
    expect(await Deployment.get(second.deployments![0]!)).toMatchObject({ commitSha: sha2, state: 'QUEUED' });
    expect(ctx.github.statuses.filter((s) => s.sha === sha1).map((s) => s.state)).toEqual(['pending']);
  });

  test('a delivery whose commit is no longer the branch head deploys nothing', async () => {
    await linkedProject();
    ctx.github.head(repo, 'feat', sha2);
    expect(await GitHubEvents.handle(push(sha1, 'feat'))).toMatchObject({ outcome: 'skipped', reason: expect.stringContaining('superseded') });
    expect((await Deployment.list({ teamId }, {}, { limit: 10 })).items).toEqual([]);
  });

  test('the same commit is deployed once: a redelivery or a pull request joins the building deployment', async () => {
    await linkedProject();
    ctx.github.head(repo, 'feat', sha1);
    const first = await GitHubEvents.handle(push(sha1, 'feat'));
    const again = await GitHubEvents.handle(push(sha1, 'feat'));
    expect(again.deployments).toEqual(first.deployments);
    const pr = await GitHubEvents.handle({
      kind: 'pull_request',
      deliveryId: 'pr-1',
      action: 'opened',
      installationId,
      repository: { id: 7, fullName: repo },
      number: 3,
      branch: 'feat',
      headSha: sha1,
      fromFork: false,
    });
    expect(pr.deployments).toEqual(first.deployments);
    expect(await ctx.gitDeployments.get(first.deployments![0]!)).toMatchObject({ prNumber: 3 });
    expect(ctx.scheduler.scheduled).toHaveLength(1);
  });

  test('skip markers, forks and unlinked installations deploy nothing', async () => {
    await linkedProject();
    ctx.github.head(repo, 'main', sha1);
    expect(await GitHubEvents.handle(push(sha1, 'main', 'Docs [skip ci]'))).toMatchObject({ outcome: 'skipped' });
    expect(
      await GitHubEvents.handle({ kind: 'pull_request', deliveryId: 'f', action: 'opened', installationId, repository: { id: 7, fullName: repo }, number: 4, branch: 'x', headSha: sha1, fromFork: true }),
    ).toMatchObject({ outcome: 'ignored' });
    expect(await GitHubEvents.handle({ ...push(sha1), installationId: 999 })).toMatchObject({ outcome: 'ignored' });
    expect(ctx.scheduler.scheduled).toEqual([]);
  });

  test('deployBranch deploys the head of a branch on demand, and names a missing branch', async () => {
    const project = await linkedProject();
    ctx.github.head(repo, 'main', sha1, 'Head of main');
    expect(await GitHubEvents.deployBranch(teamId, project, 'main')).toMatchObject({ commitSha: sha1, commitMessage: 'Head of main', target: 'production' });
    await expect(GitHubEvents.deployBranch(teamId, project, 'nope')).rejects.toMatchObject({ code: 'branch_not_found' });
    await expect(GitHubEvents.deployBranch(teamId, { ...project, gitRepository: undefined }, 'main')).rejects.toMatchObject({ code: 'no_git_repository' });
  });
});
