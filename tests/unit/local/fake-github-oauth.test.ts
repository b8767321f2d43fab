import { App } from '@octokit/app';
import { Octokit } from '@octokit/core';
import { exchangeWebFlowCode, getWebFlowAuthorizationUrl, refreshToken } from '@octokit/oauth-methods';
import { paginateRest } from '@octokit/plugin-paginate-rest';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { startFakeGitHub, type FakeGitHub, type FakeGitHubOptions } from '../../../local/fake-github.ts';

/**
 * The fake GitHub's OAuth web flow for its App ("Generating a user access token for a GitHub
 * App"): the authorize page hands out a code, `POST /login/oauth/access_token` exchanges it for a
 * user access token, `GET /user/installations` lists what that user can access. Driven by the
 * clients the production code uses: @octokit/oauth-methods and core Octokit with pagination.
 */

const ClientOctokit = Octokit.plugin(paginateRest);

const servers: FakeGitHub[] = [];
let fake: FakeGitHub;

async function start(options?: FakeGitHubOptions): Promise<FakeGitHub> {
  const server = await startFakeGitHub(options);
  servers.push(server);
  return server;
}

/** The request @octokit/oauth-methods derives the OAuth base URL from: the REST base URL. */
const requestFor = (server: FakeGitHub) => new (Octokit.defaults({ baseUrl: server.url }))().request;

function exchange(code: string, server = fake, clientSecret = server.clientSecret, redirectUrl?: string) {
  return exchangeWebFlowCode({ clientType: 'github-app', clientId: server.clientId, clientSecret, code, ...(redirectUrl ? { redirectUrl } : {}), request: requestFor(server) });
}

async function tokenFor(login: string, server = fake): Promise<string> {
  return (await exchange(server.authorize(login), server)).authentication.token;
}

async function installationsOf(token: string, server = fake, perPage?: number): Promise<number[]> {
  const octokit = new ClientOctokit({ auth: token, baseUrl: server.url });
  const installations = await octokit.paginate('GET /user/installations', perPage ? { per_page: perPage } : {});
  return installations.map((i) => i.id);
}

beforeEach(async () => {
  fake = await start();
});

afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

describe('the App', () => {
  test('has a random client id and secret, and the App endpoint reports the client id', async () => {
    expect(fake.clientId).toMatch(/^Iv1\.[0-9a-f]{16}$/);
    expect(fake.clientSecret).toMatch(/^[0-9a-f]{40}$/);
    const other = await start();
    expect([other.clientId, other.clientSecret]).not.toEqual([fake.clientId, fake.clientSecret]);
    const app = new App({ appId: fake.appId, privateKey: fake.privateKey, Octokit: ClientOctokit.defaults({ baseUrl: fake.url }) });
    expect((await app.octokit.request('GET /app')).data?.client_id).toBe(fake.clientId);
  });
});

describe('code exchange', () => {
  test('a code becomes an expiring user access token that lists only the installations the user can access', async () => {
    fake.addInstallation({ id: 1, account: { login: 'acme', type: 'Organization' } });
    fake.addInstallation({ id: 2, account: { login: 'alice' }, users: ['alice'] });
    fake.addInstallation({ id: 3, account: { login: 'globex', type: 'Organization' }, users: ['bob', 'Octocat'] });

    const { data, authentication } = await exchange(fake.authorize());
    expect(data).toEqual({ access_token: expect.stringMatching(/^ghu_\w{36}$/), expires_in: 28_800, refresh_token: expect.stringMatching(/^ghr_\w+$/), refresh_token_expires_in: 15_811_200, scope: '', token_type: 'bearer' });
    expect(authentication).toMatchObject({ clientType: 'github-app', token: data.access_token, refreshToken: (data as { refresh_token: string }).refresh_token });
    const expiresIn = Date.parse((authentication as { expiresAt: string }).expiresAt) - Date.now();
    expect(expiresIn).toBeGreaterThan(8 * 3600_000 - 60_000);
    expect(expiresIn).toBeLessThanOrEqual(8 * 3600_000 + 1000);

    // One per page: octokit's paginate follows the Link header and unwraps `installations`.
    expect(await installationsOf(authentication.token, fake, 1)).toEqual([1, 3]);
    expect(await installationsOf(await tokenFor('alice'))).toEqual([2]);
    expect(await installationsOf(await tokenFor('bob'))).toEqual([3]);
    expect(await installationsOf(await tokenFor('mallory'))).toEqual([]);

    const pages = fake.callsTo('GET', '/user/installations');
    expect(pages.slice(0, 2).map((c) => [c.path, c.auth])).toEqual([
      ['/user/installations?per_page=1', 'user'],
      ['/user/installations?per_page=1&page=2', 'user'],
    ]);
  });

  test('the response to a page carries the total and the installation as the App endpoint describes it', async () => {
    const installed = fake.addInstallation({ id: 5, account: { login: 'acme', type: 'Organization' } });
    const octokit = new ClientOctokit({ auth: await tokenFor('octocat'), baseUrl: fake.url });
    const { data } = await octokit.request('GET /user/installations');
    expect(data).toEqual({ total_count: 1, installations: [installed] });
    expect((await octokit.request('GET /user')).data).toMatchObject({ login: 'octocat', type: 'User' });
  });

  test('a removed installation is no longer listed', async () => {
    fake.addInstallation({ id: 1, account: { login: 'acme' } });
    const token = await tokenFor('octocat');
    fake.removeInstallation(1);
    expect(await installationsOf(token)).toEqual([]);
  });

  test('a code works once', async () => {
    const code = fake.authorize();
    await exchange(code);
    const again = exchange(code);
    await expect(again).rejects.toMatchObject({ status: 400, message: expect.stringContaining('bad_verification_code') });
    await expect(exchange('0123456789abcdef0123')).rejects.toMatchObject({ message: expect.stringContaining('bad_verification_code') });
  });

  test('a code expires after 10 minutes', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const code = fake.authorize();
    vi.setSystemTime(Date.now() + 10 * 60_000 + 1);
    await expect(exchange(code)).rejects.toMatchObject({ message: expect.stringContaining('bad_verification_code') });
  });

  test('a wrong client secret fails, without spending the code; calls never hold the secret, the code or the token', async () => {
    const code = fake.authorize();
    const wrong = exchange(code, fake, 'not-the-secret');
    await expect(wrong).rejects.toMatchObject({ status: 400, message: 'The client_id and/or client_secret passed are incorrect. (incorrect_client_credentials, https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors#incorrect-client-credentials)' });
    const { authentication } = await exchange(code);

    const calls = fake.callsTo('POST', '/login/oauth/access_token');
    expect(calls).toEqual([
      { method: 'POST', path: '/login/oauth/access_token', body: { client_id: fake.clientId, client_secret: '[REDACTED]', code: '[REDACTED]' }, auth: 'none' },
      { method: 'POST', path: '/login/oauth/access_token', body: { client_id: fake.clientId, client_secret: '[REDACTED]', code: '[REDACTED]' }, auth: 'none' },
    ]);
    const log = JSON.stringify(fake.calls);
    for (const secret of [fake.clientSecret, code, authentication.token]) expect(log).not.toContain(secret);
  });

  test('another client id fails', async () => {
    const response = await fetch(`${fake.url}/login/oauth/access_token`, {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: 'Iv1.0000000000000000', client_secret: fake.clientSecret, code: fake.authorize() }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ error: 'incorrect_client_credentials' });
  });

  test('a form post without Accept: application/json is answered form-encoded, as GitHub does by default', async () => {
    const code = fake.authorize('alice');
    const response = await fetch(`${fake.url}/login/oauth/access_token?client_id=${fake.clientId}`, {
      method: 'POST',
      body: new URLSearchParams({ client_secret: fake.clientSecret, code }),
    });
    expect(response.headers.get('content-type')).toMatch(/^application\/x-www-form-urlencoded/);
    const answer = new URLSearchParams(await response.text());
    expect(answer.get('token_type')).toBe('bearer');
    expect(await installationsOf(answer.get('access_token') as string)).toEqual([]);
    expect(fake.callsTo('POST', '/login/oauth/access_token')[0]?.body).toEqual({ client_secret: '[REDACTED]', code: '[REDACTED]' });
  });

  test('a refresh token gives a new user access token, once', async () => {
    fake.addInstallation({ id: 1, account: { login: 'acme' } });
    const { authentication } = await exchange(fake.authorize());
    // Present because the fake's user tokens expire, as a GitHub App's do by default.
    const { refreshToken: refresh } = authentication as { refreshToken: string };
    const refreshed = await refreshToken({ clientType: 'github-app', clientId: fake.clientId, clientSecret: fake.clientSecret, refreshToken: refresh, request: requestFor(fake) });
    expect(refreshed.authentication.token).not.toBe(authentication.token);
    expect(await installationsOf(refreshed.authentication.token)).toEqual([1]);
    const again = refreshToken({ clientType: 'github-app', clientId: fake.clientId, clientSecret: fake.clientSecret, refreshToken: refresh, request: requestFor(fake) });
    await expect(again).rejects.toMatchObject({ message: expect.stringContaining('bad_refresh_token') });
    expect(JSON.stringify(fake.calls)).not.toContain(refresh);
  });

  test('an exchange naming another redirect_uri than the authorize request fails', async () => {
    const response = await fetch(`${fake.webUrl}/login/oauth/authorize?client_id=${fake.clientId}&redirect_uri=${encodeURIComponent('http://console.test/cb')}`, { redirect: 'manual' });
    const code = new URL(response.headers.get('location') as string).searchParams.get('code') as string;
    await expect(exchange(code, fake, fake.clientSecret, 'http://evil.test/cb')).rejects.toMatchObject({ message: expect.stringContaining('redirect_uri_mismatch') });
  });
});

describe('user access tokens', () => {
  test('expire after 8 hours', async () => {
    const token = await tokenFor('octocat');
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 8 * 3600_000 + 1);
    await expect(installationsOf(token)).rejects.toMatchObject({ status: 401 });
  });

  test('an installation token or an App JWT on /user/installations is 403; an unknown token is 401', async () => {
    fake.commit('acme/web', 'main', { 'index.html': 'hi' });
    fake.addInstallation({ id: 7, account: { login: 'acme' }, repositories: [{ id: 501, fullName: 'acme/web' }] });
    const app = new App({ appId: fake.appId, privateKey: fake.privateKey, Octokit: ClientOctokit.defaults({ baseUrl: fake.url }) });
    // @octokit/auth-app would not send its JWT on this route: send it by hand.
    const { token: jwt } = (await app.octokit.auth({ type: 'app' })) as { token: string };
    const withJwt = await fetch(`${fake.url}/user/installations`, { headers: { authorization: `Bearer ${jwt}` } });
    expect(withJwt.status).toBe(403);
    await expect((await app.getInstallationOctokit(7)).request('GET /user/installations')).rejects.toMatchObject({ status: 403 });
    await expect(installationsOf('ghu_000000000000000000000000000000000000')).rejects.toMatchObject({ status: 401, message: expect.stringContaining('Bad credentials') });
    expect(fake.callsTo('GET', '/user/installations').map((c) => c.auth)).toEqual(['app', 'installation', 'none']);
  });

  test('are not App or installation credentials', async () => {
    fake.commit('acme/web', 'main', { 'index.html': 'hi' });
    fake.addInstallation({ id: 7, account: { login: 'acme' }, repositories: [{ id: 501, fullName: 'acme/web' }] });
    const octokit = new ClientOctokit({ auth: await tokenFor('octocat'), baseUrl: fake.url });
    await expect(octokit.request('GET /app/installations')).rejects.toMatchObject({ status: 401 });
    await expect(octokit.request('GET /installation/repositories')).rejects.toMatchObject({ status: 403 });
    await expect(octokit.request('GET /repos/{owner}/{repo}', { owner: 'acme', repo: 'web' })).rejects.toMatchObject({ status: 403 });
  });
});

describe('authorize page', () => {
  test('redirects with code and state to the setup URL, keeping its query', async () => {
    const server = await start({ setupUrl: 'http://localhost:3000/git/setup?from=console' });
    server.addInstallation({ id: 9, account: { login: 'acme' } });
    const response = await fetch(`${server.webUrl}/login/oauth/authorize?client_id=${server.clientId}&state=st-1`, { redirect: 'manual' });
    expect(response.status).toBe(302);
    const setup = new URL(response.headers.get('location') as string);
    expect(`${setup.origin}${setup.pathname}`).toBe('http://localhost:3000/git/setup');
    expect(Object.fromEntries(setup.searchParams)).toEqual({ from: 'console', code: expect.stringMatching(/^[0-9a-f]{20}$/), state: 'st-1' });
    const { authentication } = await exchange(setup.searchParams.get('code') as string, server);
    expect(await installationsOf(authentication.token, server)).toEqual([9]);
  });

  test('redirects to redirect_uri when given, as the user `login` names', async () => {
    const server = await start({ setupUrl: 'http://localhost:3000/git/setup' });
    server.addInstallation({ id: 9, account: { login: 'acme' }, users: ['alice'] });
    const redirect = 'http://localhost:3000/oauth/callback?x=1';
    const response = await fetch(`${server.webUrl}/login/oauth/authorize?client_id=${server.clientId}&login=alice&redirect_uri=${encodeURIComponent(redirect)}`, { redirect: 'manual' });
    const callback = new URL(response.headers.get('location') as string);
    expect(`${callback.origin}${callback.pathname}`).toBe('http://localhost:3000/oauth/callback');
    expect([...callback.searchParams.keys()]).toEqual(['x', 'code']);
    const { authentication } = await exchange(callback.searchParams.get('code') as string, server, server.clientSecret, redirect);
    expect(await installationsOf(authentication.token, server)).toEqual([9]);
  });

  test('is also where @octokit/oauth-methods puts it, at the root of the base URL', async () => {
    const url = getWebFlowAuthorizationUrl({ clientType: 'github-app', clientId: fake.clientId, state: 's1', redirectUrl: 'http://localhost:3000/cb', request: requestFor(fake) }).url;
    expect(url.startsWith(`${fake.url}/login/oauth/authorize?`)).toBe(true);
    const response = await fetch(url, { redirect: 'manual' });
    const callback = new URL(response.headers.get('location') as string);
    expect(callback.searchParams.get('state')).toBe('s1');
    expect((await exchange(callback.searchParams.get('code') as string, fake, fake.clientSecret, 'http://localhost:3000/cb')).authentication.token).toMatch(/^ghu_/);
  });

  test('without a redirect or setup URL shows the code', async () => {
    const response = await fetch(`${fake.webUrl}/login/oauth/authorize?client_id=${fake.clientId}`);
    expect(response.status).toBe(200);
    const code = /<strong id="code">([0-9a-f]+)<\/strong>/.exec(await response.text())?.[1];
    expect((await exchange(code as string)).authentication.token).toMatch(/^ghu_/);
  });

  test('an unknown client id is a 404 page', async () => {
    const response = await fetch(`${fake.webUrl}/login/oauth/authorize?client_id=Iv1.0000000000000000&state=s`, { redirect: 'manual' });
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
  });

  test('an invalid login or redirect_uri is refused', async () => {
    expect((await fetch(`${fake.webUrl}/login/oauth/authorize?client_id=${fake.clientId}&login=${encodeURIComponent('<b>')}`)).status).toBe(422);
    expect((await fetch(`${fake.webUrl}/login/oauth/authorize?client_id=${fake.clientId}&redirect_uri=javascript:alert(1)`)).status).toBe(400);
    expect(() => fake.authorize('-bad')).toThrow('Not a GitHub login');
  });
});

describe('install page', () => {
  test('the installing user (login=mallory) gets access, octocat does not', async () => {
    fake.addInstallation({ id: 1, account: { login: 'acme' } });
    const response = await fetch(`${fake.webUrl}/apps/${fake.appSlug}/installations/new?login=mallory`);
    expect(await response.text()).toContain('<strong id="installation-id">2</strong>');
    expect(await installationsOf(await tokenFor('mallory'))).toEqual([2]);
    expect(await installationsOf(await tokenFor('octocat'))).toEqual([1]);
  });

  test('without login, octocat installs', async () => {
    await fetch(`${fake.webUrl}/apps/${fake.appSlug}/installations/new`);
    expect(await installationsOf(await tokenFor('octocat'))).toEqual([1]);
    expect(await installationsOf(await tokenFor('mallory'))).toEqual([]);
  });
});
