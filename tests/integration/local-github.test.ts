import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { FakeGitHub } from '../../local/fake-github.ts';
import { useLocalGitHub, type LocalGitHub } from '../../local/github.ts';
import { newTeam, uniqueName, type Client } from './api/harness.ts';
import { expectReady, startPlatform, visit, type Platform } from './builds/platform.ts';
import { githubId } from '../support/github.ts';

/**
 * Git push to deploy as `npm start` wires it: the fake GitHub seeded with its sample repositories
 * delivers its own signed webhooks to the platform's `/webhooks/github`; nothing here posts a
 * payload. Install on the fake's page → link → import → push through the control API → the
 * deployment serves the pushed files on the local edge.
 */
let platform: Platform;
let github: LocalGitHub;
let fake: FakeGitHub;
let owner: Client;

beforeAll(async () => {
  platform = await startPlatform();
  github = await useLocalGitHub({ envFile: '/nonexistent/.env.github', webhookUrl: `${platform.api}/webhooks/github`, setupUrl: 'http://console.invalid/git/setup/', seed: true });
  fake = github.fake!;
  // Test files share the emulator: an installation id of our own, not the fake's first (1).
  fake.addInstallation({ id: githubId(), account: { login: 'someone-else' } });
  owner = platform.client((await newTeam()).tokens.owner);
});

afterAll(async () => {
  await github?.close();
  await platform?.close();
});

async function push(branch: string, files: Record<string, string>) {
  const response = await fetch(`${fake.url}/_fake/repos/octo-org/hello-static/push`, { method: 'POST', body: JSON.stringify({ branch, files, message: `Push to ${branch}` }) });
  expect(response.status).toBe(201);
  return (await response.json()) as { sha: string; installationId: number | null };
}

/** The project's deployment of `sha`, once the fake's webhook has been handled. */
async function deploymentOf(projectId: string, sha: string) {
  await fake.webhooksDelivered();
  await github.queue.drain();
  const { body } = await owner.get(`/v1/deployments?projectId=${projectId}&limit=100`);
  const found = body.items.find((d: { commitSha?: string }) => d.commitSha === sha);
  if (!found) throw new Error(`no deployment of ${sha}: ${JSON.stringify(body.items)}`);
  return found;
}

describe('npm start: the fake GitHub delivers its own webhooks', () => {
  test('install on the fake page, import a seeded repository, push: the pushed page is served, a deleted branch goes away', async () => {
    // Connect GitHub: the console's install link, the fake's install page, back to the setup URL.
    const install = await owner.post('/v1/git/install', {});
    expect(install.status).toBe(201);
    const page = await fetch(install.body.url, { redirect: 'manual' });
    const setup = new URL(page.headers.get('location')!);
    const installationId = Number(setup.searchParams.get('installation_id'));
    const linked = await owner.post('/v1/git/installations', { installationId, state: setup.searchParams.get('state'), code: fake.authorize() });
    expect(linked.status, linked.text).toBe(201);
    // The install page put the seeded repositories, and nothing else, into the new installation.
    expect((await owner.get('/v1/git/repositories')).body.items.map((r: { fullName: string }) => r.fullName)).toEqual(['octo-org/hello-static', 'octo-org/hello-vite']);

    const name = uniqueName('hello');
    const project = await owner.post('/v1/projects', { name, gitRepository: { provider: 'github', repo: 'octo-org/hello-static' } });
    expect(project.status, project.text).toBe(201);

    const onMain = await push('main', { 'index.html': `<h1>pushed to ${name}</h1>` });
    expect(onMain.installationId).toBe(installationId);
    await expectReady(owner, (await deploymentOf(project.body.id, onMain.sha)).id);
    await expect.poll(async () => (await visit(platform.edge, `${name}.localhost`, '/')).body.toString(), { timeout: 20_000 }).toBe(`<h1>pushed to ${name}</h1>`);

    const onBranch = await push('try-it', { 'index.html': 'a preview' });
    await expectReady(owner, (await deploymentOf(project.body.id, onBranch.sha)).id);
    const branchHost = `${name}-git-try-it.localhost`;
    await expect.poll(async () => (await visit(platform.edge, branchHost, '/')).body.toString(), { timeout: 20_000 }).toBe('a preview');

    expect((await fetch(`${fake.url}/_fake/repos/octo-org/hello-static/branches/try-it`, { method: 'DELETE' })).status).toBe(200);
    await fake.webhooksDelivered();
    await github.queue.drain();
    await expect.poll(async () => (await visit(platform.edge, branchHost, '/')).status, { timeout: 20_000 }).toBe(404);

    // Every delivery (installation, three pushes) was accepted by the real webhook: signature, headers, payload.
    expect(fake.deliveries.map((d) => [d.event, d.status])).toEqual([
      ['installation', 202],
      ['push', 202],
      ['push', 202],
      ['push', 202],
    ]);
  }, 240_000);
});
