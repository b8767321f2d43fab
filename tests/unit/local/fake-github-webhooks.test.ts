import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhooks } from '@octokit/webhooks';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { toJob } from '../../../functions/src/core/github/webhook.ts';
import { startFakeGitHub, type FakeGitHub } from '../../../local/fake-github.ts';
import { example } from '../../support/github.ts';

/**
 * The fake GitHub delivering the App's webhooks to a receiver, as GitHub does: the install page
 * sends `installation`, the control API (`/_fake/…`) sends `push`.
 */

const SECRET = 'a-webhook-secret-of-the-test';

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  payload: any;
}

/** A webhook receiver on a free port that records every request and answers `status`. */
async function startReceiver(status = 202) {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ headers: req.headers, body, payload: JSON.parse(body) });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/github`;
  return { url, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

let receiver: Awaited<ReturnType<typeof startReceiver>>;
let fake: FakeGitHub;

beforeEach(async () => {
  receiver = await startReceiver();
  fake = await startFakeGitHub({ webhook: { url: receiver.url, secret: SECRET }, setupUrl: 'http://localhost:4002/git/setup/' });
});

afterEach(async () => {
  vi.restoreAllMocks();
  await fake.close();
  await receiver.close();
});

/** Installs the App through the install page, as the browser does; returns the new installation id. */
async function install(): Promise<number> {
  const response = await fetch(`${fake.webUrl}/apps/${fake.appSlug}/installations/new?state=s1`, { redirect: 'manual' });
  expect(response.status).toBe(302);
  return Number(new URL(response.headers.get('location') as string).searchParams.get('installation_id'));
}

async function push(fullName: string, body: unknown) {
  const response = await fetch(`${fake.url}/_fake/repos/${fullName}/push`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as any };
}

async function deleteBranch(fullName: string, branch: string) {
  const response = await fetch(`${fake.url}/_fake/repos/${fullName}/branches/${branch}`, { method: 'DELETE' });
  return { status: response.status, body: (await response.json()) as any };
}

/** The deliveries the receiver got, once the fake has sent everything. */
async function delivered(): Promise<Received[]> {
  await fake.webhooksDelivered();
  return receiver.received;
}

describe('deliveries', () => {
  test('installing on the install page delivers a signed installation.created with its repositories', async () => {
    fake.commit('octo-org/hello', 'main', { 'index.html': 'hi' });
    const installationId = await install();

    const [hook] = await delivered();
    expect(hook?.headers).toMatchObject({ 'x-github-event': 'installation', 'content-type': 'application/json', 'user-agent': 'GitHub-Hookshot/fake' });
    expect(await new Webhooks({ secret: SECRET }).verify(hook!.body, hook!.headers['x-hub-signature-256'] as string)).toBe(true);
    expect(hook!.payload).toMatchObject({
      action: 'created',
      installation: { id: installationId, account: { login: 'octo-org', type: 'Organization' }, repository_selection: 'selected', app_id: fake.appId },
      repositories: [{ name: 'hello', full_name: 'octo-org/hello', private: false }],
      sender: { login: 'octocat', type: 'User' },
    });
    expect(fake.deliveries).toEqual([{ event: 'installation', deliveryId: hook!.headers['x-github-delivery'], status: 202 }]);
  });

  test('a push through the control API commits and delivers a signed push of that commit, with the installation', async () => {
    const first = fake.commit('octo-org/hello', 'main', { 'index.html': 'v1' });
    const installationId = await install();

    const pushed = await push('octo-org/hello', { branch: 'main', files: { 'index.html': 'v2', 'about.html': 'new' }, message: 'Say v2' });
    expect(pushed.status).toBe(201);
    expect(pushed.body).toEqual({ sha: expect.stringMatching(/^[0-9a-f]{40}$/), created: false, installationId, deliveryId: expect.any(String) });

    const hook = (await delivered()).at(-1)!;
    expect(hook.headers['x-github-event']).toBe('push');
    expect(hook.headers['x-github-delivery']).toBe(pushed.body.deliveryId);
    expect(await new Webhooks({ secret: SECRET }).verify(hook.body, hook.headers['x-hub-signature-256'] as string)).toBe(true);
    expect(hook.payload).toMatchObject({
      ref: 'refs/heads/main',
      before: first.sha,
      after: pushed.body.sha,
      created: false,
      deleted: false,
      forced: false,
      installation: { id: installationId },
      repository: { full_name: 'octo-org/hello', name: 'hello', default_branch: 'main', private: false, owner: { login: 'octo-org' } },
      head_commit: { id: pushed.body.sha, message: 'Say v2', added: ['about.html'], modified: ['index.html'], removed: [] },
    });
    expect(hook.payload.commits).toEqual([hook.payload.head_commit]);
  });

  test('a push to a new branch says created, from the zero sha', async () => {
    fake.commit('octo-org/hello', 'main', { 'index.html': 'v1' });
    const pushed = await push('octo-org/hello', { branch: 'feature/x', files: { 'index.html': 'x' } });
    const hook = (await delivered()).at(-1)!;
    expect(hook.payload).toMatchObject({ ref: 'refs/heads/feature/x', before: '0'.repeat(40), after: pushed.body.sha, created: true });
  });

  test('a push to a repository no installation holds creates it and has no installation', async () => {
    const pushed = await push('someone/new-site', { branch: 'main', files: { 'index.html': 'x' } });
    expect(pushed.body).toMatchObject({ created: true, installationId: null });
    const hook = (await delivered()).at(-1)!;
    expect(hook.payload.repository).toMatchObject({ full_name: 'someone/new-site', default_branch: 'main' });
    expect(hook.payload).not.toHaveProperty('installation');
    // The repository now exists: the next installation takes it.
    await install();
    expect((await delivered()).at(-1)!.payload.repositories.map((r: { full_name: string }) => r.full_name)).toEqual(['someone/new-site']);
  });

  test('deleting a branch delivers a push with deleted: true and no head commit', async () => {
    fake.commit('octo-org/hello', 'main', { 'index.html': 'v1' });
    const installationId = await install();
    const branch = (await push('octo-org/hello', { branch: 'preview', files: { 'index.html': 'p' } })).body.sha;

    const deleted = await deleteBranch('octo-org/hello', 'preview');
    expect(deleted).toEqual({ status: 200, body: { before: branch, installationId, deliveryId: expect.any(String) } });
    const hook = (await delivered()).at(-1)!;
    expect(hook.payload).toMatchObject({ ref: 'refs/heads/preview', before: branch, after: '0'.repeat(40), deleted: true, created: false, head_commit: null, commits: [], installation: { id: installationId } });
    expect((await deleteBranch('octo-org/hello', 'preview')).status).toBe(422);
  });

  test('the default branch cannot be deleted (422), and nothing is delivered', async () => {
    fake.commit('octo-org/hello', 'main', { 'index.html': 'v1' });
    expect(await deleteBranch('octo-org/hello', 'main')).toMatchObject({ status: 422, body: { message: 'Cannot delete the default branch main' } });
    expect(await delivered()).toEqual([]);
  });

  test('deliveries arrive in the order they happened', async () => {
    fake.commit('octo-org/hello', 'main', { 'index.html': 'v0' });
    const shas: string[] = [];
    for (const n of [1, 2, 3]) shas.push((await push('octo-org/hello', { branch: 'main', files: { 'index.html': `v${n}` } })).body.sha);
    expect((await delivered()).map((h) => h.payload.after)).toEqual(shas);
  });

  test('a receiver that cannot be reached is recorded and logged; the push still succeeds', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    await receiver.close();
    const pushed = await push('octo-org/hello', { branch: 'main', files: { 'index.html': 'x' } });
    expect(pushed.status).toBe(201);
    await fake.webhooksDelivered();
    expect(fake.deliveries).toEqual([{ event: 'push', deliveryId: pushed.body.deliveryId, status: 'failed' }]);
    expect(errors).toHaveBeenCalledWith(expect.stringContaining(`webhook push ${pushed.body.deliveryId}`), expect.anything());
  });

  test('a receiver that refuses is recorded with its status and logged', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const refusing = await startReceiver(401);
    const other = await startFakeGitHub({ webhook: { url: refusing.url, secret: SECRET } });
    try {
      const response = await fetch(`${other.url}/_fake/repos/octo-org/hello/push`, { method: 'POST', body: JSON.stringify({ branch: 'main', files: { a: 'b' } }) });
      expect(response.status).toBe(201);
      await other.webhooksDelivered();
      expect(other.deliveries.map((d) => d.status)).toEqual([401]);
      expect(errors).toHaveBeenCalledWith(expect.stringContaining(': 401'));
    } finally {
      await other.close();
      await refusing.close();
    }
  });

  test('without a webhook target nothing is delivered and the push says so', async () => {
    const quiet = await startFakeGitHub();
    try {
      const response = await fetch(`${quiet.url}/_fake/repos/octo-org/hello/push`, { method: 'POST', body: JSON.stringify({ branch: 'main', files: { a: 'b' } }) });
      expect(await response.json()).toMatchObject({ deliveryId: null });
      expect(quiet.deliveries).toEqual([]);
    } finally {
      await quiet.close();
    }
  });
});

describe('control API input', () => {
  test('base64 files are committed as their exact bytes', async () => {
    const bytes = Buffer.from([0, 1, 2, 0xff, 0xfe, 0x80]);
    const pushed = await push('octo-org/bin', { branch: 'main', files: { 'logo.bin': { base64: bytes.toString('base64') }, 'a.txt': 'text' }, message: 'm' });
    // The sha is a function of parent, message and files: the same bytes committed directly give it.
    expect(pushed.body.sha).toBe(fake.commit('octo-org/bin-copy', 'main', { 'logo.bin': bytes, 'a.txt': Buffer.from('text') }, 'm').sha);
  });

  test('a body that is not JSON is 400', async () => {
    const response = await fetch(`${fake.url}/_fake/repos/octo-org/hello/push`, { method: 'POST', body: '{"branch":' });
    expect([response.status, (await response.json()).message]).toEqual([400, 'Problems parsing JSON']);
  });

  test('a body over 50 MB is refused (413)', async () => {
    const response = await fetch(`${fake.url}/_fake/repos/octo-org/hello/push`, { method: 'POST', body: JSON.stringify({ branch: 'main', files: { big: 'x'.repeat(50 * 1024 * 1024) } }) });
    expect(response.status).toBe(413);
    expect(await delivered()).toEqual([]);
  });

  test.each([
    ['a path out of the tree', { branch: 'main', files: { '../escape': 'x' } }],
    ['an absolute path', { branch: 'main', files: { '/etc/passwd': 'x' } }],
    ['no files', { branch: 'main', files: {} }],
    ['a branch name git refuses', { branch: 'a..b', files: { a: 'b' } }],
    ['a branch with a space', { branch: 'my branch', files: { a: 'b' } }],
    ['bad base64', { branch: 'main', files: { a: { base64: '***' } } }],
    ['an unknown field', { branch: 'main', files: { a: 'b' }, force: true }],
  ])('%s is 422 and commits nothing', async (_, body) => {
    const pushed = await push('octo-org/hello', body);
    expect([pushed.status, pushed.body.message]).toEqual([422, 'Validation Failed']);
    expect(await delivered()).toEqual([]);
  });

  test('a repository name GitHub does not allow is 422', async () => {
    const pushed = await push('octo-org/bad%20name', { branch: 'main', files: { a: 'b' } });
    expect(pushed.status).toBe(422);
  });

  test('control requests are not recorded as GitHub API calls', async () => {
    await push('octo-org/hello', { branch: 'main', files: { a: 'b' } });
    expect(fake.calls).toEqual([]);
  });
});

describe('payloads as GitHub sends them', () => {
  /** Keys of `actual` that GitHub's own example of the event does not have. */
  const unknownKeys = (actual: object, expected: object) => Object.keys(actual).filter((key) => !(key in expected));

  test("push and installation payloads use only fields of GitHub's own examples", async () => {
    fake.commit('octo-org/hello', 'main', { 'index.html': 'v1' });
    await install();
    await push('octo-org/hello', { branch: 'main', files: { 'index.html': 'v2' } });
    const [installation, pushed] = (await delivered()).map((h) => h.payload);
    const pushExample = example('push', (p) => p.ref === 'refs/heads/master' && p.head_commit && p.installation);
    const installationExample = example('installation', (p) => p.action === 'created');
    expect(unknownKeys(pushed, pushExample)).toEqual([]);
    expect(unknownKeys(pushed.head_commit, pushExample.head_commit)).toEqual([]);
    expect(unknownKeys(pushed.repository, pushExample.repository)).toEqual([]);
    // (Its `installation` is the REST API's, as `GET /app/installations/{id}` returns it: newer than the example.)
    expect(unknownKeys(installation, installationExample)).toEqual([]);
  });

  test("Runway's webhook turns them into the jobs a real delivery would", async () => {
    fake.commit('octo-org/hello', 'main', { 'index.html': 'v1' });
    const installationId = await install();
    const pushed = await push('octo-org/hello', { branch: 'preview', files: { 'index.html': 'v2' }, message: 'Preview it' });
    await deleteBranch('octo-org/hello', 'preview');
    const jobs = (await delivered()).map((h) => toJob(h.headers['x-github-event'] as string, h.headers['x-github-delivery'] as string, h.payload));
    const repository = { id: expect.any(Number), fullName: 'octo-org/hello', private: false, defaultBranch: 'main' };
    expect(jobs).toEqual([
      expect.objectContaining({ kind: 'installation', action: 'created', installationId, account: { login: 'octo-org', type: 'Organization' }, repositories: [expect.objectContaining({ fullName: 'octo-org/hello' })] }),
      expect.objectContaining({ kind: 'push', installationId, repository, branch: 'preview', after: pushed.body.sha, deleted: false, headCommit: { sha: pushed.body.sha, message: 'Preview it' } }),
      expect.objectContaining({ kind: 'push', installationId, repository, branch: 'preview', deleted: true, headCommit: null }),
    ]);
  });
});
