import path from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { dynamoClient } from '../../../functions/src/adapters/aws/clients.ts';
import { resetConfig } from '../../../functions/src/lib/config.ts';
import type { FakeGitHub } from '../../../local/fake-github.ts';
import { newTeam, teamItems, uniqueName, type Client } from '../api/harness.ts';
import { EmulatorEdgeStore } from '../../../functions/src/adapters/edge-store/emulator.ts';
import { sweepOrphans } from '../../../functions/src/handlers/jobs/sweep-hosts.ts';
import { sweepStuckDeployments } from '../../../functions/src/handlers/jobs/sweep-stuck.ts';
import { BUILD_UNTIL_KILLED, buildUntilKilled, expectReady, isRunning, runningWith, readTree, startPlatform, visit, waitForBuilding, waitForEnd, waitForLogLine, type Platform } from '../builds/platform.ts';
import { deliver, example, githubId, pullRequestPayload, pushPayload } from '../../support/github.ts';

/**
 * The GitHub App end to end, in-process: signed deliveries of GitHub's own example payloads into
 * the real webhook handler, the in-process FIFO queue into the real worker, builds of the fake
 * GitHub's tarballs in the local build runner, the local edge, and what the fake GitHub recorded.
 */
let platform: Platform;
let fake: FakeGitHub;
let secret: string;
let owner: Client;
let teamId: string;

beforeAll(async () => {
  platform = await startPlatform({ github: true });
  fake = platform.github!.fake!;
  secret = platform.github!.webhookSecret;
  const team = await newTeam();
  teamId = team.id;
  owner = platform.client(team.tokens.owner);
});
afterAll(() => platform?.close());

const send = (event: string, payload: Record<string, any> | string, options?: Parameters<typeof deliver>[4]) => deliver(platform.api, secret, event, payload, options);
const drained = () => platform.github!.queue.drain();
const host = (label: string) => `${label}.localhost`;

/** Installs the App for the team the way a person does: install link → GitHub → setup URL → link. */
async function installApp(repos: Array<{ id: number; fullName: string }>): Promise<number> {
  const started = await owner.post('/v1/git/install', {});
  expect(started.status).toBe(201);
  const state = new URL(started.body.url).searchParams.get('state')!;
  const installationId = githubId();
  fake.addInstallation({ id: installationId, account: { login: 'acme', type: 'Organization' }, repositories: repos });
  // Back from GitHub: the person authorizes the App, which proves they can access the installation.
  const linked = await owner.post('/v1/git/installations', { installationId, state, code: fake.authorize() });
  expect(linked.status, linked.text).toBe(201);
  return installationId;
}

/** A repository with one commit on `main`, an installation that can read it, and a project linked to it. */
async function linkedProject(files: Record<string, string> = { 'index.html': '<h1>first</h1>' }) {
  const repo = { id: githubId(), fullName: `acme/${uniqueName('site')}` };
  const first = fake.commit(repo.fullName, 'main', files, 'first');
  const installationId = await installApp([repo]);
  const name = uniqueName('gh');
  const created = await owner.post('/v1/projects', { name, gitRepository: { provider: 'github', repo: repo.fullName } });
  expect(created.status, created.text).toBe(201);
  expect(created.body.gitRepository).toEqual({ provider: 'github', repo: repo.fullName, installationId, repoId: repo.id });
  return { repo, installationId, name, project: created.body, first };
}

async function deploymentsOf(projectId: string): Promise<any[]> {
  const res = await owner.get(`/v1/deployments?projectId=${projectId}&limit=100`);
  return res.body.items;
}

const statusesOf = (repo: string, sha: string) => fake.callsTo('POST', `/repos/${repo}/statuses/${sha}`).map((c) => c.body as any);

describe('installations', () => {
  test('installation.created and installation_repositories examples are recorded; linking makes the repositories importable; deletion unlinks', async () => {
    const installationId = githubId();
    const created = example('installation', (p) => p.action === 'created');
    created.installation.id = installationId;
    expect((await send('installation', created)).status).toBe(202);
    await drained();

    // Before a team claims it, no team sees it.
    expect((await owner.get('/v1/git/installations')).body.items).toEqual([]);

    const repos = created.repositories.map((r: { id: number; full_name: string }) => ({ id: r.id + installationId, fullName: `${r.full_name}-${installationId}` }));
    const started = await owner.post('/v1/git/install', {});
    fake.addInstallation({ id: installationId, account: { login: created.installation.account.login }, repositories: repos });
    const state = new URL(started.body.url).searchParams.get('state')!;
    expect(new URL(started.body.authorizeUrl).searchParams.get('state')).toBe(state);
    expect((await owner.post('/v1/git/installations', { installationId, state, code: fake.authorize() })).status).toBe(201);
    // The state is one-time.
    expect((await owner.post('/v1/git/installations', { installationId, state, code: fake.authorize() })).body.error.code).toBe('invalid_install_state');

    const listed = await owner.get('/v1/git/repositories');
    expect(listed.body.items.map((r: { fullName: string }) => r.fullName).sort()).toEqual(repos.map((r: { fullName: string }) => r.fullName).sort());

    const added = example('installation_repositories', (p) => p.action === 'added');
    added.installation.id = installationId;
    added.repositories_added = [{ ...added.repositories_added[0], id: 77_000_000 + (installationId % 1000), full_name: `acme/added-${installationId}` }];
    await send('installation_repositories', added);
    await drained();
    expect((await owner.get('/v1/git/repositories')).body.items.map((r: { fullName: string }) => r.fullName)).toContain(`acme/added-${installationId}`);

    const deleted = example('installation', (p) => p.action === 'deleted');
    deleted.installation.id = installationId;
    expect((await send('installation', deleted)).status).toBe(202);
    await drained();
    expect((await owner.get('/v1/git/installations')).body.items).toEqual([]);
    expect((await owner.get('/v1/git/repositories')).body.items).toEqual([]);
  });

  test('linking needs a person who can access the installation on GitHub; a linked one cannot be taken; a failed try spends the state', async () => {
    const repo = { id: githubId(), fullName: `acme/${uniqueName('r')}` };
    const installationId = await installApp([repo]);
    const other = platform.client((await newTeam()).tokens.owner);
    const claim = async () => new URL((await other.post('/v1/git/install', {})).body.url).searchParams.get('state')!;

    // Someone who cannot see the installation on GitHub, guessing its id.
    const state = await claim();
    const guess = await other.post('/v1/git/installations', { installationId, state, code: fake.authorize('mallory') });
    expect(guess.status).toBe(403);
    expect(guess.body.error.code).toBe('installation_not_accessible');
    expect((await other.post('/v1/git/installations', { installationId, state, code: fake.authorize() })).body.error.code).toBe('invalid_install_state');

    // Someone who can see it, while another team holds it.
    const taken = await other.post('/v1/git/installations', { installationId, state: await claim(), code: fake.authorize() });
    expect(taken.status).toBe(409);
    expect(taken.body.error.code).toBe('installation_taken');
    expect((await other.request('DELETE', `/v1/git/installations/${installationId}`)).status).toBe(404);
    expect((await owner.get('/v1/git/installations')).body.items.map((i: { id: number }) => i.id)).toContain(installationId);

    // A code GitHub never issued.
    const bogus = await other.post('/v1/git/installations', { installationId, state: await claim(), code: 'not-a-code' });
    expect(bogus.status).toBe(422);
    expect(bogus.body.error.code).toBe('github_rejected');
  });

  test('without a configured GitHub App, installing answers 503 github_not_configured', async () => {
    const secretId = process.env.RUNWAY_GITHUB_SECRET_ID;
    delete process.env.RUNWAY_GITHUB_SECRET_ID;
    resetConfig();
    try {
      const res = await owner.post('/v1/git/install', {}, { allow5xx: true });
      expect(res.status).toBe(503);
      expect(res.body.error).toMatchObject({ code: 'github_not_configured', message: expect.stringContaining('README') });
    } finally {
      process.env.RUNWAY_GITHUB_SECRET_ID = secretId;
      resetConfig();
    }
  });

  test('a project can only link a repository the team can read', async () => {
    const res = await owner.post('/v1/projects', { name: uniqueName('gh'), gitRepository: { provider: 'github', repo: 'someone/else' } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('git_repository_not_accessible');
  });
});

describe('push → deployment → GitHub', () => {
  test('a push to the production branch deploys production and reports pending, then success with the URL', async () => {
    const { repo, installationId, name, project } = await linkedProject();
    const commit = fake.commit(repo.fullName, 'main', { 'index.html': `<h1>production ${name}</h1>` }, 'Ship it');
    expect((await send('push', pushPayload({ installationId, repo, branch: 'main', sha: commit.sha, message: 'Ship it' }))).status).toBe(202);
    await drained();
    const [deployment] = await deploymentsOf(project.id);
    expect(deployment).toMatchObject({ target: 'production', branch: 'main', commitSha: commit.sha, commitMessage: 'Ship it', source: { type: 'git', repo: repo.fullName, sha: commit.sha } });
    const done = await expectReady(owner, deployment.id);
    await expect.poll(async () => (await visit(platform.edge, host(name), '/')).body.toString(), { timeout: 20_000 }).toBe(`<h1>production ${name}</h1>`);

    const url = `http://${done.url}:${new URL(platform.edge).port}`;
    await expect.poll(() => statusesOf(repo.fullName, commit.sha).map((s) => s.state), { timeout: 5000 }).toEqual(['pending', 'success']);
    expect(statusesOf(repo.fullName, commit.sha)[1]).toMatchObject({ target_url: url, context: `Runway – ${name}` });
    const [ghDeployment] = fake.callsTo('POST', `/repos/${repo.fullName}/deployments`);
    expect(ghDeployment!.body).toMatchObject({ ref: commit.sha, environment: 'Production', production_environment: true });
    // The report posts the commit status first, then the deployment's: poll this one too.
    const deploymentStatuses = () => fake.callsTo('POST', new RegExp(`^/repos/${repo.fullName}/deployments/\\d+/statuses$`)).map((c) => c.body as any);
    await expect.poll(() => deploymentStatuses().map((s) => s.state), { timeout: 5000 }).toEqual(['in_progress', 'success']);
    expect(deploymentStatuses()[1]).toMatchObject({ environment_url: url });
  });

  test('end to end: a signed push of a feature branch builds the repository tarball and the branch URL serves the new commit', async () => {
    // A real Vite + React app (real npm packages), with a title only this commit has.
    const files = readTree(path.resolve('tests/fixtures/frameworks/vite-react'));
    const marker = uniqueName('commit');
    files['index.html'] = Buffer.from(files['index.html']!.toString().replace('<title>Vite React</title>', `<title>${marker}</title>`));
    const { repo, installationId, name, project } = await linkedProject();
    const commit = fake.commit(repo.fullName, 'feature/login', files, 'Vite app');
    await send('push', pushPayload({ installationId, repo, branch: 'feature/login', sha: commit.sha }));
    await drained();
    const [deployment] = await deploymentsOf(project.id);
    expect(deployment).toMatchObject({ target: 'preview', branch: 'feature/login' });
    const done = await expectReady(owner, deployment.id, 180_000);
    const branchHost = `${name}-git-feature-login.localhost`;
    // READY comes first, then the branch alias moves (and the edge reads it within 250 ms).
    await expect.poll(async () => (await visit(platform.edge, branchHost, '/')).status, { timeout: 20_000 }).toBe(200);
    const page = await visit(platform.edge, branchHost, '/');
    expect(page.body.toString()).toContain(`<title>${marker}</title>`);
    expect(page.body.toString()).toMatch(/<script type="module" crossorigin src="\/assets\/index-[\w-]+\.js">/);
    // Production is untouched by a preview.
    expect((await visit(platform.edge, host(name), '/')).status).not.toBe(200);
    const statuses = statusesOf(repo.fullName, commit.sha);
    expect(statuses.map((s) => s.state)).toEqual(['pending', 'success']);
    expect(statuses[1].target_url).toBe(`http://${done.url}:${new URL(platform.edge).port}`);
    // The codeload URL was fetched without any token: the fake refuses one.
    expect(fake.callsTo('GET', `/repos/${repo.fullName}/tarball/${commit.sha}`)).toHaveLength(1);
  });

  test('deleting a branch removes its alias; [skip ci] skips; a repository without a project is ignored', async () => {
    const { repo, installationId, name, project } = await linkedProject();
    const commit = fake.commit(repo.fullName, 'temp', { 'index.html': 'temp branch' });
    await send('push', pushPayload({ installationId, repo, branch: 'temp', sha: commit.sha }));
    await drained();
    await expectReady(owner, (await deploymentsOf(project.id))[0].id);
    await expect.poll(async () => (await visit(platform.edge, `${name}-git-temp.localhost`, '/')).status, { timeout: 20_000 }).toBe(200);

    await send('push', pushPayload({ installationId, repo, branch: 'temp', sha: commit.sha, deleted: true }));
    await drained();
    await expect.poll(async () => (await visit(platform.edge, `${name}-git-temp.localhost`, '/')).status, { timeout: 20_000 }).toBe(404);
    expect((await owner.get(`/v1/projects/${name}/aliases`)).body.items.map((a: { host: string }) => a.host)).not.toContain(`${name}-git-temp.localhost`);

    const skipped = fake.commit(repo.fullName, 'main', { 'index.html': 'skip' });
    await send('push', pushPayload({ installationId, repo, branch: 'main', sha: skipped.sha, message: 'Docs only [skip ci]' }));
    const orphan = { id: githubId(), fullName: 'acme/no-project' };
    await send('push', pushPayload({ installationId, repo: orphan, branch: 'main', sha: skipped.sha }));
    await drained();
    expect(await deploymentsOf(project.id)).toHaveLength(1);
  });

  test('a suspended installation deploys nothing until it is unsuspended', async () => {
    const { repo, installationId, project } = await linkedProject();
    const suspend = example('installation', (p) => p.action === 'suspend');
    suspend.installation.id = installationId;
    await send('installation', suspend);
    await drained();
    const c1 = fake.commit(repo.fullName, 'main', { 'index.html': 'while suspended' });
    await send('push', pushPayload({ installationId, repo, branch: 'main', sha: c1.sha }));
    await drained();
    expect(await deploymentsOf(project.id)).toHaveLength(0);
    expect((await owner.get('/v1/git/installations')).body.items.find((i: { id: number }) => i.id === installationId)).toMatchObject({ suspended: true });

    const unsuspend = example('installation', (p) => p.action === 'unsuspend');
    unsuspend.installation.id = installationId;
    await send('installation', unsuspend);
    await drained();
    await send('push', pushPayload({ installationId, repo, branch: 'main', sha: c1.sha }));
    await drained();
    expect(await deploymentsOf(project.id)).toHaveLength(1);
  });

  test('after the installation is unlinked, pushes deploy nothing', async () => {
    const { repo, installationId, project } = await linkedProject();
    expect((await owner.request('DELETE', `/v1/git/installations/${installationId}`)).status).toBe(204);
    const commit = fake.commit(repo.fullName, 'main', { 'index.html': 'after unlink' });
    await send('push', pushPayload({ installationId, repo, branch: 'main', sha: commit.sha }));
    await drained();
    expect(await deploymentsOf(project.id)).toHaveLength(0);
  });
});

describe('deploying a branch on demand, redeploying a commit', () => {
  test('gitSource deploys the head of a branch; a redeploy builds the same commit again', async () => {
    const { repo, name, project, first } = await linkedProject({ 'index.html': 'head of main' });
    const created = await owner.post('/v1/deployments', { project: name, gitSource: { branch: 'main' } });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({ target: 'production', branch: 'main', commitSha: first.sha, commitMessage: 'first' });
    await expectReady(owner, created.body.id);
    await expect.poll(async () => (await visit(platform.edge, host(name), '/')).body.toString(), { timeout: 20_000 }).toBe('head of main');

    const again = await owner.post(`/v1/deployments/${created.body.id}/redeploy`, {});
    expect(again.status).toBe(201);
    expect(again.body).toMatchObject({ redeployOf: created.body.id, commitSha: first.sha, source: { type: 'git', sha: first.sha } });
    await expectReady(owner, again.body.id);
    await expect.poll(() => statusesOf(repo.fullName, first.sha).filter((s) => s.state === 'success').length, { timeout: 5000 }).toBe(2);

    const missing = await owner.post('/v1/deployments', { project: name, gitSource: { branch: 'nope' } });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('branch_not_found');
    const both = await owner.post('/v1/deployments', { project: name, gitSource: { branch: 'main' }, files: [] });
    expect(both.status).toBe(400);
    const plain = uniqueName('plain');
    await owner.post('/v1/projects', { name: plain });
    const noRepo = await owner.post('/v1/deployments', { project: plain, gitSource: { branch: 'main' } });
    expect(noRepo.status).toBe(400);
    expect(noRepo.body.error.code).toBe('no_git_repository');
    expect((await deploymentsOf(project.id)).length).toBe(2);
  });
});

describe('pull requests', () => {
  test('opened links a preview and comments once; synchronize redeploys and updates the same comment; closed keeps the branch host, a push of the same commit keeps it, deleting the branch removes it', async () => {
    const { repo, installationId, name, project } = await linkedProject();
    const c1 = fake.commit(repo.fullName, 'feat', { 'index.html': 'pr one' });
    // GitHub sends the push of the branch and the pull request event: one deployment of the commit.
    await send('push', pushPayload({ installationId, repo, branch: 'feat', sha: c1.sha }));
    await send('pull_request', pullRequestPayload({ action: 'opened', number: 5, installationId, repo, branch: 'feat', sha: c1.sha }));
    await drained();
    const first = await deploymentsOf(project.id);
    expect(first).toHaveLength(1);
    await expectReady(owner, first[0].id);
    const branchHost = `${name}-git-feat.localhost`;
    await expect.poll(async () => (await visit(platform.edge, branchHost, '/')).body.toString(), { timeout: 20_000 }).toBe('pr one');

    const c2 = fake.commit(repo.fullName, 'feat', { 'index.html': 'pr two' });
    await send('pull_request', pullRequestPayload({ action: 'synchronize', number: 5, installationId, repo, branch: 'feat', sha: c2.sha }));
    await drained();
    const second = (await deploymentsOf(project.id))[0];
    expect(second.commitSha).toBe(c2.sha);
    expect(second.meta).toMatchObject({ githubPrNumber: '5' });
    await expectReady(owner, second.id);
    await expect.poll(async () => (await visit(platform.edge, branchHost, '/')).body.toString(), { timeout: 20_000 }).toBe('pr two');

    // The READY report follows the READY transition: wait for the comment to say so.
    const lastEdit = () => (fake.callsTo('PATCH', new RegExp(`^/repos/${repo.fullName}/issues/comments/\\d+$`)).at(-1)?.body as { body: string } | undefined)?.body ?? '';
    await expect.poll(lastEdit, { timeout: 10_000 }).toContain('✅ Ready');
    expect(lastEdit()).toContain(`http://${branchHost}:${new URL(platform.edge).port}`);
    expect(lastEdit()).toContain(c2.sha.slice(0, 7));
    expect(fake.callsTo('POST', `/repos/${repo.fullName}/issues/5/comments`)).toHaveLength(1);

    // The host belongs to the branch, which still exists: closing its pull request leaves it.
    await send('pull_request', pullRequestPayload({ action: 'closed', number: 5, installationId, repo, branch: 'feat', sha: c2.sha }));
    await drained();
    const alias = async () => (await owner.get(`/v1/projects/${name}/aliases`)).body.items.find((a: { host: string }) => a.host === branchHost);
    expect(await alias()).toMatchObject({ deploymentId: second.id });
    expect((await visit(platform.edge, branchHost, '/')).body.toString()).toBe('pr two');
    // A later push of the same commit builds nothing and keeps serving it.
    await send('push', pushPayload({ installationId, repo, branch: 'feat', sha: c2.sha }));
    await drained();
    expect(await deploymentsOf(project.id)).toHaveLength(2);
    expect(await alias()).toMatchObject({ deploymentId: second.id });
    expect((await visit(platform.edge, branchHost, '/')).body.toString()).toBe('pr two');
    // Deleting the branch removes it.
    await send('push', pushPayload({ installationId, repo, branch: 'feat', sha: c2.sha, deleted: true }));
    await drained();
    await expect.poll(async () => (await visit(platform.edge, branchHost, '/')).status, { timeout: 20_000 }).toBe(404);
    expect(await alias()).toBeUndefined();
  });
});

describe('hosts: deletion and the scheduled sweeps', () => {
  /** Every key of the local edge store (the emulator's `edge-kvs/` objects), read through the adapter. */
  async function edgeKeys(): Promise<string[]> {
    const keys: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await new EmulatorEdgeStore().list(cursor);
      keys.push(...page.keys);
      cursor = page.next;
    } while (cursor);
    return keys;
  }

  test('deleting a project: its production, branch and every deployment host answer 404 at the edge, and its edge keys are gone', async () => {
    const { repo, installationId, name, project } = await linkedProject();
    const config = { 'runway.json': JSON.stringify({ redirects: [{ source: `/${name}-old`, destination: '/' }] }) };
    const prod = fake.commit(repo.fullName, 'main', { 'index.html': 'production', ...config });
    await send('push', pushPayload({ installationId, repo, branch: 'main', sha: prod.sha }));
    const feat = fake.commit(repo.fullName, 'feat', { 'index.html': 'feature', 'runway.json': JSON.stringify({ cleanUrls: true, redirects: [{ source: `/${name}-x`, destination: '/' }] }) });
    await send('push', pushPayload({ installationId, repo, branch: 'feat', sha: feat.sha }));
    await drained();
    const deployments = await Promise.all((await deploymentsOf(project.id)).map((d) => expectReady(owner, d.id)));
    const hosts = [host(name), `${name}-git-main.localhost`, `${name}-git-feat.localhost`, ...deployments.map((d) => d.url)];
    for (const h of hosts) await expect.poll(async () => (await visit(platform.edge, h, '/')).status, { timeout: 20_000 }).toBe(200);
    // Routes live in each deployment's index (routes/<id>.json), not in the edge store: its keys are hosts only.
    expect(deployments.map((d) => d.configKey)).toEqual(deployments.map(() => undefined));
    expect((await visit(platform.edge, host(name), `/${name}-old`)).status).toBe(308);
    const before = await edgeKeys();
    for (const key of hosts) expect(before).toContain(key);

    expect((await owner.del(`/v1/projects/${name}`)).status).toBe(204);
    const after = await edgeKeys();
    for (const key of hosts) expect(after).not.toContain(key);
    // The edge reads its store every 250 ms at most: then every one of them is gone.
    for (const h of hosts) await expect.poll(async () => (await visit(platform.edge, h, '/')).status, { timeout: 20_000 }).toBe(404);
  });

  test('the host sweep removes planted orphan keys from the edge store and leaves every owned one', async () => {
    const { repo, installationId, name, project } = await linkedProject();
    const commit = fake.commit(repo.fullName, 'main', { 'index.html': 'owned', 'runway.json': JSON.stringify({ trailingSlash: false }) });
    await send('push', pushPayload({ installationId, repo, branch: 'main', sha: commit.sha }));
    await drained();
    const [deployment] = await deploymentsOf(project.id);
    const live = await expectReady(owner, deployment.id);
    const orphans = [`${uniqueName('ghost')}.localhost`, `${uniqueName('old')}-abcdefghi.localhost`, `c:${uniqueName('f').replace(/-/g, '').slice(0, 12)}`];
    // Left behind by earlier bugs: hosts nobody owns that still serve a deployment's files, a config nobody uses.
    for (const key of orphans) await new EmulatorEdgeStore().put(key, key.startsWith('c:') ? '{"t":0}' : live.id);
    await expect.poll(async () => (await visit(platform.edge, orphans[0]!, '/')).body.toString(), { timeout: 20_000 }).toBe('owned');

    const report = await sweepOrphans();
    expect(report.removed).toEqual(expect.arrayContaining(orphans));
    const after = await edgeKeys();
    for (const key of orphans) expect(after).not.toContain(key);
    for (const key of [host(name), live.url]) expect(after).toContain(key);
    await expect.poll(async () => (await visit(platform.edge, orphans[0]!, '/')).status, { timeout: 20_000 }).toBe(404);
    expect((await visit(platform.edge, host(name), '/')).body.toString()).toBe('owned');
  });

  test('a deployment stuck BUILDING past its limits ends ERROR by the sweep: its build is stopped and GitHub shows failure', async () => {
    const { repo, installationId, project } = await linkedProject();
    const marker = `runway-stuck-${crypto.randomUUID()}`;
    const commit = fake.commit(repo.fullName, 'stuck', { 'package.json': JSON.stringify({ name: 'stuck', private: true, scripts: { build: buildUntilKilled(marker) } }) });
    await send('push', pushPayload({ installationId, repo, branch: 'stuck', sha: commit.sha }));
    await drained();
    const [deployment] = await deploymentsOf(project.id);
    await waitForBuilding(owner, deployment.id);
    // The pid in the log is the sandbox's PID namespace's; the host finds the same processes by the marker.
    const pid = Number((await waitForLogLine(owner, deployment.id, /build pid (\d+)/))[1]);
    const tree = runningWith(marker);
    expect(tree.map((p) => p.innerPid)).toContain(pid);
    expect(tree.every((p) => isRunning(p.pid))).toBe(true);

    // Not yet past its limit: nothing happens.
    expect(await sweepStuckDeployments()).not.toContain(deployment.id);
    // As if its build state had been lost for 26 minutes (15-minute build limit + 10 minutes for its end to arrive).
    expect(await sweepStuckDeployments(Date.now() + 26 * 60_000)).toContain(deployment.id);
    const done = await waitForEnd(owner, deployment.id);
    expect(done).toMatchObject({ state: 'ERROR', errorStep: 'timeout', errorMessage: expect.stringContaining('no result within 25 minutes') });
    await expect.poll(() => tree.filter((p) => isRunning(p.pid)), { timeout: 20_000 }).toEqual([]);
    expect(runningWith(marker)).toEqual([]);
    await expect.poll(() => statusesOf(repo.fullName, commit.sha).map((s) => s.state).at(-1), { timeout: 10_000 }).toBe('failure');
    // A second run finds nothing to do.
    expect(await sweepStuckDeployments(Date.now() + 26 * 60_000)).not.toContain(deployment.id);
  });
});

describe('redeliveries and bursts', () => {
  test('the same delivery replayed 50 times concurrently makes exactly one deployment', async () => {
    const { repo, installationId, project } = await linkedProject();
    const commit = fake.commit(repo.fullName, 'main', { 'index.html': 'once' });
    const payload = pushPayload({ installationId, repo, branch: 'main', sha: commit.sha });
    const deliveryId = `replay-${uniqueName('d')}`;
    const replies = await Promise.all(Array.from({ length: 50 }, () => send('push', payload, { deliveryId })));
    for (const reply of replies) expect([202, 409]).toContain(reply.status);
    await drained();
    const deployments = await deploymentsOf(project.id);
    expect(deployments).toHaveLength(1);
    await waitForEnd(owner, deployments[0].id);
  });

  test('20 pushes to one branch in quick succession: the branch ends on the last commit; older pushes are superseded', async () => {
    const { repo, installationId, name, project } = await linkedProject();
    const commits = Array.from({ length: 20 }, (_, i) => fake.commit(repo.fullName, 'burst', { 'index.html': `burst ${i}` }, `push ${i}`));
    await Promise.all(commits.map((c, i) => send('push', pushPayload({ installationId, repo, branch: 'burst', sha: c.sha, message: `push ${i}` }))));
    await drained();
    const deployments = await deploymentsOf(project.id);
    const last = deployments.find((d) => d.commitSha === commits.at(-1)!.sha);
    expect(last).toBeDefined();
    await expectReady(owner, last.id, 180_000);
    for (const d of deployments) await waitForEnd(owner, d.id, 180_000);
    // A push whose commit is no longer the branch head is not built at all; one that was built
    // meanwhile is canceled or, if it finished first, never moves the branch back.
    for (const d of (await deploymentsOf(project.id)).filter((d) => d.id !== last.id)) {
      expect(['CANCELED', 'READY']).toContain(d.state);
      if (d.state === 'READY') expect(d.createdAt < last.createdAt).toBe(true);
    }
    expect(deployments.length).toBeLessThan(20);
    const branchAlias = async () => (await owner.get(`/v1/projects/${name}/aliases`)).body.items.find((a: { host: string }) => a.host === `${name}-git-burst.localhost`)?.deploymentId;
    await expect.poll(branchAlias, { timeout: 5000 }).toBe(last.id);
    await expect.poll(async () => (await visit(platform.edge, `${name}-git-burst.localhost`, '/')).body.toString(), { timeout: 20_000 }).toBe('burst 19');
  });

  test('a newer push cancels the older commit\'s running build, which GitHub then shows as error', async () => {
    const { repo, installationId, name, project } = await linkedProject();
    // A build that only ends when killed: the next push always finds it running.
    const a = fake.commit(repo.fullName, 'slow', { 'package.json': JSON.stringify({ name: 'slow', private: true, scripts: { build: BUILD_UNTIL_KILLED } }) });
    await send('push', pushPayload({ installationId, repo, branch: 'slow', sha: a.sha }));
    await drained();
    const [first] = await deploymentsOf(project.id);
    await waitForBuilding(owner, first.id);
    const b = fake.commit(repo.fullName, 'slow', { 'index.html': 'b is live' });
    await send('push', pushPayload({ installationId, repo, branch: 'slow', sha: b.sha }));
    await drained();
    expect((await waitForEnd(owner, first.id)).state).toBe('CANCELED');
    const second = (await deploymentsOf(project.id)).find((d) => d.commitSha === b.sha);
    await expectReady(owner, second.id);
    await expect.poll(async () => (await visit(platform.edge, `${name}-git-slow.localhost`, '/')).body.toString(), { timeout: 20_000 }).toBe('b is live');
    await expect.poll(() => statusesOf(repo.fullName, a.sha).map((s) => s.state).at(-1), { timeout: 10_000 }).toBe('error');
    // The success status is posted after READY is visible, so it is polled for, not read once.
    await expect.poll(() => statusesOf(repo.fullName, b.sha).map((s) => s.state), { timeout: 10_000 }).toEqual(['pending', 'success']);
  });

  test('a late or redelivered push of an older commit deploys nothing', async () => {
    const { repo, installationId, project } = await linkedProject();
    const old = fake.commit(repo.fullName, 'main', { 'index.html': 'old' });
    fake.commit(repo.fullName, 'main', { 'index.html': 'new' });
    const reply = await send('push', pushPayload({ installationId, repo, branch: 'main', sha: old.sha }));
    expect(reply.status).toBe(202);
    await drained();
    expect(await deploymentsOf(project.id)).toHaveLength(0);
  });
});

describe('bad deliveries: 4xx (or 202 ignored), never 5xx, nothing stored', () => {
  const idempotencyKeys = async () => {
    const res = await dynamoClient().send(new ScanCommand({ TableName: process.env.RUNWAY_IDEMPOTENCY_TABLE_NAME }));
    return (res.Items ?? []).length;
  };

  test.each([
    ['no signature', { signature: null }, 401],
    ['a wrong signature', { signature: `sha256=${'0'.repeat(64)}` }, 401],
    ['a malformed signature', { signature: 'sha1=abc' }, 401],
    ['a form-encoded body', { headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 415],
    ['no event header', { headers: { 'x-github-event': '' } }, 400],
  ] as const)('%s', async (_label, options, status) => {
    const before = { items: (await teamItems(teamId)).length, keys: await idempotencyKeys() };
    const payload = pushPayload({ installationId: 1, repo: { id: 1, fullName: 'acme/x' }, branch: 'main', sha: 'b'.repeat(40) });
    const res = await send('push', payload, options as Parameters<typeof deliver>[4]);
    expect(res.status).toBe(status);
    expect(res.body.error?.code ?? res.body.message).toBeTruthy();
    expect({ items: (await teamItems(teamId)).length, keys: await idempotencyKeys() }).toEqual(before);
  });

  test('malformed JSON, a malformed known event and a huge body are 4xx; an unknown event is 202 ignored', async () => {
    const before = await idempotencyKeys();
    expect((await send('push', '{"ref": ')).status).toBe(400);
    const bad = await send('push', { ref: 'refs/heads/main', after: 'nope' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_payload');
    const huge = await send('push', JSON.stringify({ pad: 'x'.repeat(6 * 1024 * 1024) }));
    expect(huge.status).toBe(413);
    const unknown = await send('issues', example('issues'));
    expect(unknown.status).toBe(202);
    expect(unknown.body).toMatchObject({ status: 'ignored' });
    expect(await idempotencyKeys()).toBe(before);
  });
});
