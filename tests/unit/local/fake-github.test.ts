import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { App } from '@octokit/app';
import { Octokit } from '@octokit/core';
import { paginateRest } from '@octokit/plugin-paginate-rest';
import { extract } from 'tar';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { startFakeGitHub, type FakeGitHub, type FakeGitHubOptions } from '../../../local/fake-github.ts';

// The client the production adapter uses: @octokit/app over core Octokit with pagination, pointed
// at the fake through `baseUrl`. (@octokit/app itself exports no Octokit class.)
const ClientOctokit = Octokit.plugin(paginateRest);

const servers: FakeGitHub[] = [];
const tempDirs: string[] = [];
let fake: FakeGitHub;

async function start(options?: FakeGitHubOptions): Promise<FakeGitHub> {
  const server = await startFakeGitHub(options);
  servers.push(server);
  return server;
}

function appFor(server: FakeGitHub, privateKey = server.privateKey) {
  return new App({ appId: server.appId, privateKey, Octokit: ClientOctokit.defaults({ baseUrl: server.url }) });
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'fake-github-test-'));
  tempDirs.push(dir);
  return dir;
}

/** acme/web in installation 7, with one commit on main. */
function acmeWeb(files: Record<string, string | Buffer> = { 'index.html': '<h1>hi</h1>' }) {
  const { sha } = fake.commit('acme/web', 'main', files, 'Initial commit');
  fake.addInstallation({ id: 7, account: { login: 'acme', type: 'Organization' }, repositories: [{ id: 501, fullName: 'acme/web' }] });
  return { sha, owner: 'acme', repo: 'web' };
}

beforeEach(async () => {
  fake = await start();
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
  await Promise.all(tempDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('App authentication', () => {
  test('an installation token is minted with the App JWT and used for installation calls', async () => {
    acmeWeb();
    const octokit = await appFor(fake).getInstallationOctokit(7);
    await octokit.request('GET /repos/{owner}/{repo}', { owner: 'acme', repo: 'web' });
    expect(fake.callsTo('POST', '/app/installations/7/access_tokens')).toEqual([{ method: 'POST', path: '/app/installations/7/access_tokens', body: undefined, auth: 'app' }]);
    expect(fake.callsTo('GET', '/repos/acme/web').map((c) => c.auth)).toEqual(['installation']);
  });

  test('a JWT signed with another key is refused with 401', async () => {
    acmeWeb();
    const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const request = appFor(fake, otherKey).octokit.request('GET /app/installations/{installation_id}', { installation_id: 7 });
    await expect(request).rejects.toMatchObject({ status: 401, message: expect.stringContaining('could not be decoded') });
    expect(fake.callsTo('GET', '/app/installations/7').map((c) => c.auth)).toEqual(['none']);
  });

  test('a JWT that lives longer than 10 minutes is refused with 401', async () => {
    const now = Math.floor(Date.now() / 1000);
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const unsigned = `${encode({ alg: 'RS256', typ: 'JWT' })}.${encode({ iat: now, exp: now + 3600, iss: fake.appId })}`;
    const jwt = `${unsigned}.${sign('sha256', Buffer.from(unsigned), fake.privateKey).toString('base64url')}`;
    const response = await fetch(`${fake.url}/app`, { headers: { authorization: `Bearer ${jwt}` } });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ message: "'Expiration time' claim ('exp') is too far in the future" });
  });

  test('the installation endpoint describes the installation', async () => {
    acmeWeb();
    const { data } = await appFor(fake).octokit.request('GET /app/installations/{installation_id}', { installation_id: 7 });
    expect(data).toMatchObject({ id: 7, account: { login: 'acme', type: 'Organization' }, app_id: fake.appId, app_slug: 'runway-local', target_type: 'Organization', suspended_at: null });
  });

  test('a removed installation gets no token (404)', async () => {
    acmeWeb();
    fake.removeInstallation(7);
    const octokit = await appFor(fake).getInstallationOctokit(7);
    await expect(octokit.request('GET /installation/repositories')).rejects.toMatchObject({ status: 404 });
  });

  test("a token of one installation cannot see another installation's repository (404)", async () => {
    acmeWeb();
    fake.commit('globex/api', 'main', { 'a.txt': 'a' });
    fake.addInstallation({ id: 8, account: { login: 'globex' }, repositories: [{ id: 601, fullName: 'globex/api' }] });
    const acme = await appFor(fake).getInstallationOctokit(7);
    await expect(acme.request('GET /repos/{owner}/{repo}', { owner: 'acme', repo: 'web' })).resolves.toMatchObject({ status: 200 });
    await expect(acme.request('GET /repos/{owner}/{repo}', { owner: 'globex', repo: 'api' })).rejects.toMatchObject({ status: 404 });
  });
});

describe('repositories and commits', () => {
  test("paginate walks an installation's repositories across pages", async () => {
    const repositories = Array.from({ length: 5 }, (_, i) => ({ id: 700 + i, fullName: `acme/repo-${i}` }));
    fake.addInstallation({ id: 7, account: { login: 'acme', type: 'Organization' }, repositories });
    const octokit = await appFor(fake).getInstallationOctokit(7);
    const repos = await octokit.paginate('GET /installation/repositories', { per_page: 2 });
    expect(repos.map((r) => [r.id, r.full_name, r.owner.type, r.default_branch])).toEqual(repositories.map((r) => [r.id, r.fullName, 'Organization', 'main']));
    expect(fake.callsTo('GET', '/installation/repositories').map((c) => c.path)).toEqual([
      '/installation/repositories?per_page=2',
      '/installation/repositories?per_page=2&page=2',
      '/installation/repositories?per_page=2&page=3',
    ]);
  });

  test('a commit is found by branch name and by sha; an unknown ref is 422', async () => {
    const { sha, owner, repo } = acmeWeb();
    const octokit = await appFor(fake).getInstallationOctokit(7);
    const byBranch = await octokit.request('GET /repos/{owner}/{repo}/commits/{ref}', { owner, repo, ref: 'main' });
    const bySha = await octokit.request('GET /repos/{owner}/{repo}/commits/{ref}', { owner, repo, ref: sha });
    expect([byBranch.data.sha, bySha.data.sha, bySha.data.commit.message]).toEqual([sha, sha, 'Initial commit']);
    await expect(octokit.request('GET /repos/{owner}/{repo}/commits/{ref}', { owner, repo, ref: 'nope' })).rejects.toMatchObject({ status: 422 });
  });

  test('commitDirectory commits the files of a directory without node_modules', async () => {
    const dir = await tempDir();
    await mkdir(path.join(dir, 'src'), { recursive: true });
    await mkdir(path.join(dir, 'node_modules', 'dep'), { recursive: true });
    await writeFile(path.join(dir, 'package.json'), '{}');
    await writeFile(path.join(dir, 'src', 'index.js'), 'export {}');
    await writeFile(path.join(dir, 'node_modules', 'dep', 'index.js'), 'junk');
    const fromDir = await fake.commitDirectory('acme/a', 'main', dir);
    // Same parent (none), message and files give the same sha.
    expect(fromDir.sha).toBe(fake.commit('acme/b', 'main', { 'package.json': '{}', 'src/index.js': 'export {}' }).sha);
    expect(fromDir.sha).toMatch(/^[0-9a-f]{40}$/);
  });
});

describe('statuses, deployments and comments', () => {
  test('a commit status is stored and listed newest first', async () => {
    const { sha, owner, repo } = acmeWeb();
    const octokit = await appFor(fake).getInstallationOctokit(7);
    const first = await octokit.request('POST /repos/{owner}/{repo}/statuses/{sha}', { owner, repo, sha, state: 'pending', context: 'runway', description: 'Building' });
    await octokit.request('POST /repos/{owner}/{repo}/statuses/{sha}', { owner, repo, sha, state: 'success', context: 'runway', target_url: 'http://localhost/d/1' });
    expect(first).toMatchObject({ status: 201, data: { id: expect.any(Number), state: 'pending', context: 'runway' } });
    const { data } = await octokit.request('GET /repos/{owner}/{repo}/commits/{ref}/statuses', { owner, repo, ref: 'main' });
    expect(data.map((s) => [s.state, s.target_url])).toEqual([
      ['success', 'http://localhost/d/1'],
      ['pending', null],
    ]);
  });

  test('a commit status with an unknown state is refused with 422', async () => {
    const { sha, owner, repo } = acmeWeb();
    const octokit = await appFor(fake).getInstallationOctokit(7);
    const request = octokit.request('POST /repos/{owner}/{repo}/statuses/{sha}', { owner, repo, sha, state: 'done' as 'success' });
    await expect(request).rejects.toMatchObject({ status: 422 });
  });

  test('a deployment gets statuses, listed newest first', async () => {
    const { sha, owner, repo } = acmeWeb();
    const octokit = await appFor(fake).getInstallationOctokit(7);
    const deployment = await octokit.request('POST /repos/{owner}/{repo}/deployments', {
      owner,
      repo,
      ref: sha,
      environment: 'Preview',
      description: 'Runway preview',
      auto_merge: false,
      required_contexts: [],
      payload: { deploymentId: 'dpl_1' },
      transient_environment: true,
      production_environment: false,
    });
    expect(deployment).toMatchObject({ status: 201, data: { id: expect.any(Number), sha, ref: sha, environment: 'Preview', payload: { deploymentId: 'dpl_1' } } });
    const id = (deployment.data as { id: number }).id;
    const params = { owner, repo, deployment_id: id };
    await octokit.request('POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses', { ...params, state: 'in_progress', log_url: 'http://localhost/logs' });
    const done = await octokit.request('POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses', { ...params, state: 'success', environment_url: 'http://preview.localhost', auto_inactive: false });
    expect(done).toMatchObject({ status: 201, data: { state: 'success', environment: 'Preview', environment_url: 'http://preview.localhost' } });
    const { data } = await octokit.request('GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses', params);
    expect(data.map((s) => s.state)).toEqual(['success', 'in_progress']);
  });

  test('a deployment waits for every status context by default, as on GitHub (409)', async () => {
    const { sha, owner, repo } = acmeWeb();
    const octokit = await appFor(fake).getInstallationOctokit(7);
    await octokit.request('POST /repos/{owner}/{repo}/statuses/{sha}', { owner, repo, sha, state: 'pending', context: 'runway' });
    await expect(octokit.request('POST /repos/{owner}/{repo}/deployments', { owner, repo, ref: sha })).rejects.toMatchObject({ status: 409 });
  });

  test('an issue comment is created, then updated in place', async () => {
    const { owner, repo } = acmeWeb();
    const octokit = await appFor(fake).getInstallationOctokit(7);
    const { data: created } = await octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', { owner, repo, issue_number: 3, body: 'Building…' });
    expect(created.html_url).toBe(`${fake.webUrl}/acme/web/issues/3#issuecomment-${created.id}`);
    const updated = await octokit.request('PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}', { owner, repo, comment_id: created.id, body: 'Ready' });
    expect(updated).toMatchObject({ status: 200, data: { id: created.id, body: 'Ready' } });
    const comments = await octokit.paginate('GET /repos/{owner}/{repo}/issues/{issue_number}/comments', { owner, repo, issue_number: 3 });
    expect(comments.map((c) => [c.id, c.body, c.performed_via_github_app?.id])).toEqual([[created.id, 'Ready', fake.appId]]);
  });
});

describe('tarballs', () => {
  const files = { 'index.html': '<h1>hi</h1>', 'assets/logo.bin': Buffer.from([0, 1, 2, 255, 254]) };

  test('the tarball redirect leads, without credentials, to the commit as {owner}-{repo}-{sha7}/', async () => {
    const { sha, owner, repo } = acmeWeb(files);
    const octokit = await appFor(fake).getInstallationOctokit(7);
    const { token } = (await octokit.auth({ type: 'installation' })) as { token: string };
    const response = await octokit.request('GET /repos/{owner}/{repo}/tarball/{ref}', { owner, repo, ref: sha, request: { redirect: 'manual' } });
    expect(response.status).toBe(302);
    const location = response.headers.location as string;
    expect(location.startsWith(`${fake.url}/_codeload/acme/web/legacy.tar.gz/${sha}?token=`)).toBe(true);
    expect(location).not.toContain(token);

    const download = await fetch(location);
    expect([download.status, download.headers.get('content-type')]).toEqual([200, 'application/x-gzip']);
    const bytes = Buffer.from(await download.arrayBuffer());
    expect(Number(download.headers.get('content-length'))).toBe(bytes.length);
    const dir = await tempDir();
    await writeFile(path.join(dir, 'source.tar.gz'), bytes);
    await mkdir(path.join(dir, 'out'));
    await extract({ file: path.join(dir, 'source.tar.gz'), cwd: path.join(dir, 'out') });
    const top = `acme-web-${sha.slice(0, 7)}`;
    expect(await readdir(path.join(dir, 'out'))).toEqual([top]);
    expect(await readFile(path.join(dir, 'out', top, 'index.html'), 'utf8')).toBe(files['index.html']);
    expect(await readFile(path.join(dir, 'out', top, 'assets', 'logo.bin'))).toEqual(files['assets/logo.bin']);
  });

  test('a codeload URL works once', async () => {
    const { sha, owner, repo } = acmeWeb(files);
    const octokit = await appFor(fake).getInstallationOctokit(7);
    const response = await octokit.request('GET /repos/{owner}/{repo}/tarball/{ref}', { owner, repo, ref: sha, request: { redirect: 'manual' } });
    const location = response.headers.location as string;
    expect((await fetch(location)).status).toBe(200);
    expect((await fetch(location)).status).toBe(404);
  });

  test('codeload refuses a request that carries an Authorization header (400)', async () => {
    const { sha, owner, repo } = acmeWeb(files);
    const octokit = await appFor(fake).getInstallationOctokit(7);
    const response = await octokit.request('GET /repos/{owner}/{repo}/tarball/{ref}', { owner, repo, ref: sha, request: { redirect: 'manual' } });
    const download = await fetch(response.headers.location as string, { headers: { authorization: 'token ghs_leaked' } });
    expect(download.status).toBe(400);
  });

  test('letting fetch follow the redirect forwards the token to the same-origin codeload, which refuses it', async () => {
    // On github.com codeload is another origin and fetch drops Authorization on the way; here it is
    // the same origin, so only `redirect: 'manual'` (or a download without Octokit) works.
    const { sha, owner, repo } = acmeWeb(files);
    const octokit = await appFor(fake).getInstallationOctokit(7);
    await expect(octokit.request('GET /repos/{owner}/{repo}/tarball/{ref}', { owner, repo, ref: sha })).rejects.toMatchObject({ status: 400 });
  });
});

describe('install page', () => {
  test('installing sends the browser to the setup URL with the installation id and the state', async () => {
    const server = await start({ setupUrl: 'http://localhost:3000/github/setup?from=console' });
    server.commit('acme/site', 'main', { 'index.html': 'x' });
    const app = appFor(server);
    const installUrl = await app.getInstallationUrl({ state: 'st-1' });
    expect(installUrl).toBe(`${server.webUrl}/apps/runway-local/installations/new?state=st-1`);

    const response = await fetch(installUrl, { redirect: 'manual' });
    expect(response.status).toBe(302);
    const setup = new URL(response.headers.get('location') as string);
    expect(`${setup.origin}${setup.pathname}`).toBe('http://localhost:3000/github/setup');
    expect(Object.fromEntries(setup.searchParams)).toEqual({ from: 'console', installation_id: '1', setup_action: 'install', state: 'st-1' });

    const { data } = await app.octokit.request('GET /app/installations/{installation_id}', { installation_id: 1 });
    expect(data.account).toMatchObject({ login: 'octo-org', type: 'Organization' });
    const repos = await (await app.getInstallationOctokit(1)).paginate('GET /installation/repositories');
    expect(repos.map((r) => r.full_name)).toEqual(['acme/site']);
  });

  test('without a setup URL the page names the new installation', async () => {
    fake.addInstallation({ id: 41, account: { login: 'acme' } });
    const response = await fetch(`${fake.webUrl}/apps/${fake.appSlug}/installations/new`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('<strong id="installation-id">42</strong>');
  });
});

describe('protocol errors', () => {
  test('an unknown path is 404 Not Found', async () => {
    const response = await fetch(`${fake.url}/nope`);
    expect([response.status, (await response.json()).message]).toEqual([404, 'Not Found']);
  });

  test('a known path with the wrong method is 404', async () => {
    const response = await fetch(`${fake.url}/installation/repositories`, { method: 'DELETE' });
    expect(response.status).toBe(404);
  });

  test('a body that is not JSON is 400 Problems parsing JSON', async () => {
    const response = await fetch(`${fake.url}/repos/acme/web/statuses/abc`, { method: 'POST', body: '{"state":', headers: { 'content-type': 'application/json' } });
    expect([response.status, (await response.json()).message]).toEqual([400, 'Problems parsing JSON']);
  });
});
