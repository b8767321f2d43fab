import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { FakeGitHub } from '../../../local/fake-github.ts';
import { deliver, githubId, pushPayload } from '../../support/github.ts';
import { newTeam, uniqueName, type Client } from '../api/harness.ts';
import { buildLog, deployFiles, expectReady, startPlatform, visit, waitForEnd, type Platform } from './platform.ts';

/**
 * Issue 11 item 4 end to end: a route pattern with super-linear matching is refused at deploy time
 * (the builder checks every pattern with recheck) on every path a config reaches the platform by —
 * vercel.json through the upload API, a framework's own `.vercel/output/config.json`, a push from
 * (the fake) GitHub — while the same project with ordinary redirects and rewrites deploys and
 * answers a long URL of one repeated character.
 */
let platform: Platform;
let c: Client;
let fake: FakeGitHub;
beforeAll(async () => {
  platform = await startPlatform({ github: true });
  fake = platform.github!.fake!;
  const team = await newTeam();
  c = platform.client(team.tokens.owner);
});
afterAll(() => platform?.close());

const host = (label: string) => `${label}.localhost`;

async function project(settings: Record<string, unknown> = {}): Promise<string> {
  const name = uniqueName('redos');
  const res = await c.post('/v1/projects', { name, ...settings });
  expect(res.status, res.text).toBe(201);
  return name;
}

/** A redirect whose source compiles (routing-utils / path-to-regexp) to a regex with nested quantifiers. */
const CATASTROPHIC_SOURCE = '/:path((?:a+)+b)';

const NORMAL_CONFIG = {
  cleanUrls: true,
  redirects: [
    { source: '/old/:path*', destination: '/new/:path*' },
    { source: '/docs', destination: '/guide', permanent: false },
    { source: '/user/:id(\\d+)', destination: '/people/:id' },
    { source: '/go', has: [{ type: 'header', key: 'x-team', value: '(?<team>[a-z]+)' }], destination: '/teams/:team', permanent: false },
  ],
  rewrites: [{ source: '/blog/:slug', destination: '/posts/:slug' }],
};

const site = (name: string, vercelJson: unknown) => ({
  'index.html': `<h1>home of ${name}</h1>`,
  'posts/hello.html': '<p>hello post</p>',
  'vercel.json': JSON.stringify(vercelJson),
});

/** Asserts the deployment ended ERROR at the manifest step, naming `expected` in its error and its build log. */
async function expectRefused(id: string, expected: RegExp[]): Promise<any> {
  const done = await waitForEnd(c, id);
  expect(done.state, done.errorMessage).toBe('ERROR');
  expect(done.errorStep).toBe('manifest');
  const log = (await buildLog(c, id)).join('\n');
  for (const pattern of [/route pattern\(s\) can make each request slow/, ...expected]) {
    expect(done.errorMessage).toMatch(pattern);
    expect(log).toMatch(pattern);
  }
  return done;
}

/** Nothing answers at a refused deployment's own host nor at the project's production host. */
async function expectNothingServed(done: { url: string }, name: string): Promise<void> {
  for (const at of [done.url, host(name)]) {
    for (const pathname of ['/', '/aaab', '/posts/hello']) expect((await visit(platform.edge, at, pathname)).status, `${at}${pathname}`).toBe(404);
  }
  const { items } = (await c.get(`/v1/projects/${name}/aliases`)).body;
  for (const alias of items) expect(alias).not.toHaveProperty('deploymentId');
}

describe('a catastrophic pattern is refused at deploy time, normal patterns deploy', () => {
  test('upload: a vercel.json redirect source with nested quantifiers ends ERROR naming the route; nothing is served', async () => {
    const name = await project();
    const vercelJson = { redirects: [{ source: '/docs', destination: '/guide' }, { source: CATASTROPHIC_SOURCE, destination: '/x' }] };
    const { deployment } = await deployFiles(c, name, site(name, vercelJson), 'production');
    const done = await expectRefused(deployment.id, [/vercel\.json \/ runway\.json/, /routes\[\d+\]\.src "[^"]*\(\?:a\+\)\+b[^"]*" can take exponential time/]);
    // The safe redirect before it is not named.
    expect(done.errorMessage).not.toMatch(/"[^"]*docs[^"]*" can take/);
    await expectNothingServed(done, name);
  });

  test('upload: a catastrophic `has` value of a redirect ends ERROR naming that value', async () => {
    const name = await project();
    const vercelJson = { redirects: [{ source: '/go', has: [{ type: 'header', key: 'x-a', value: '(x|x)*y' }], destination: '/' }] };
    const { deployment } = await deployFiles(c, name, site(name, vercelJson), 'production');
    const done = await expectRefused(deployment.id, [/routes\[\d+\]\.has\[0\]\.value "\(x\|x\)\*y" can take exponential time/]);
    await expectNothingServed(done, name);
  });

  test('a framework’s own .vercel/output/config.json with a catastrophic route ends ERROR naming it', async () => {
    const name = await project();
    const config = { version: 3, routes: [{ src: '^/ok$', dest: '/' }, { src: '^/(a+)+$', dest: '/' }] };
    const build = [
      "import fs from 'node:fs';",
      "fs.mkdirSync('.vercel/output/static', { recursive: true });",
      "fs.writeFileSync('.vercel/output/static/index.html', '<p>framework output</p>');",
      `fs.writeFileSync('.vercel/output/config.json', ${JSON.stringify(JSON.stringify(config))});`,
    ].join('\n');
    const files = { 'package.json': JSON.stringify({ name: 'fw', private: true, scripts: { build: 'node build.mjs' } }), 'build.mjs': build };
    const { deployment } = await deployFiles(c, name, files, 'production');
    const done = await expectRefused(deployment.id, [/\.vercel\/output\/config\.json/, /routes\[1\]\.src "\^\/\(a\+\)\+\$" can take exponential time/]);
    expect(done.errorMessage).not.toContain('routes[0].src');
    await expectNothingServed(done, name);
  });

  // KNOWN GAP, kept visible: today this deployment goes READY with the pattern unchecked. The
  // control plane re-validates a manifest's schema, not its patterns (recheck does not fit a
  // ≤ 512 KB Lambda; safe-regex2's star height refuses routing-utils' own `:path*` output), and
  // the build shares its builder's token. `test.fails` until the fix lands, then `test`.
  test.fails('KNOWN GAP: a build that writes its own manifest (its builder’s token, first write wins) gets a catastrophic pattern past the check', async () => {
    const name = await project();
    // The build finds the builder's upload URL and token in its parent's environment and writes
    // a manifest with a catastrophic route before the builder does; the builder's own write then
    // meets 412 (the manifest writes once), which it takes as done.
    const build = [
      "import crypto from 'node:crypto';",
      "import fs from 'node:fs';",
      'let env;',
      'for (let pid = process.ppid; pid > 1 && !env; ) {',
      "  const vars = Object.fromEntries(fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\\0').filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));",
      '  if (vars.RUNWAY_UPLOAD_TOKEN) env = vars;',
      "  pid = Number(/^PPid:\\s+(\\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);",
      '}',
      "if (!env) throw new Error('no builder environment found');",
      "const auth = { authorization: `Bearer ${env.RUNWAY_UPLOAD_TOKEN}`, 'content-type': 'application/json' };",
      "const job = await (await fetch(`${env.RUNWAY_UPLOAD_URL}/job`, { headers: auth })).json();",
      "const manifest = { version: 1, deploymentId: job.deploymentId, framework: 'static', createdAt: new Date().toISOString(), files: {},",
      "  config: { buildOutput: { version: 3, routes: [{ src: '^/(a+)+$', dest: '/' }] } } };",
      'const json = Buffer.from(JSON.stringify(manifest));',
      "const sha256 = crypto.createHash('sha256').update(json).digest('hex');",
      "const asked = await (await fetch(`${env.RUNWAY_UPLOAD_URL}/manifest`, { method: 'POST', headers: auth, body: JSON.stringify({ sha256, size: json.length }) })).json();",
      "const put = await fetch(asked.url, { method: 'PUT', headers: { ...asked.headers, 'content-type': 'application/json' }, body: json });",
      "console.log('own manifest written', put.status);",
      "fs.mkdirSync('dist', { recursive: true });",
      "fs.writeFileSync('dist/index.html', 'decoy');",
    ].join('\n');
    const files = { 'package.json': JSON.stringify({ name: 'sneaky', private: true, scripts: { build: 'node build.mjs' } }), 'build.mjs': build };
    const { deployment } = await deployFiles(c, name, files, 'production');
    const done = await waitForEnd(c, deployment.id);
    const log = (await buildLog(c, deployment.id)).join('\n');
    expect(log).toMatch(/own manifest written 20\d/);
    expect(done.state, done.errorMessage).toBe('ERROR');
    expect(done.errorMessage).toMatch(/routes\[0\]\.src "\^\/\(a\+\)\+\$"/);
    await expectNothingServed(done, name);
  });

  test('the same project with ordinary redirects and rewrites deploys READY, serves them, and answers a long URL of one repeated character', async () => {
    const name = await project();
    const refused = await deployFiles(c, name, site(name, { redirects: [{ source: CATASTROPHIC_SOURCE, destination: '/x' }] }), 'production');
    expect((await waitForEnd(c, refused.deployment.id)).state).toBe('ERROR');

    const { deployment } = await deployFiles(c, name, site(name, NORMAL_CONFIG), 'production');
    const done = await expectReady(c, deployment.id);
    expect((await buildLog(c, deployment.id)).join('\n')).not.toMatch(/can take exponential time/);
    await expect.poll(async () => (await visit(platform.edge, host(name), '/')).status, { timeout: 20_000 }).toBe(200);
    for (const at of [done.url, host(name)]) {
      expect((await visit(platform.edge, at, '/')).body.toString()).toBe(`<h1>home of ${name}</h1>`);
      expect((await visit(platform.edge, at, '/blog/hello')).body.toString()).toBe('<p>hello post</p>');
      const old = await visit(platform.edge, at, '/old/a/b');
      expect([old.status, old.headers.location]).toEqual([308, '/new/a/b']);
      const docs = await visit(platform.edge, at, '/docs');
      expect([docs.status, docs.headers.location]).toEqual([307, '/guide']);
      const user = await visit(platform.edge, at, '/user/42');
      expect([user.status, user.headers.location]).toEqual([308, '/people/42']);
      const team = await visit(platform.edge, at, '/go', { 'x-team': 'acme' });
      expect([team.status, team.headers.location]).toEqual([307, '/teams/acme']);
    }

    // The attack input of issue 11 item 4: a long path of one repeated character, against every
    // route of the table (no source matches it, so each is tried), and as the tail of a redirect.
    // The viewer-request function refuses paths over 1024 characters (414) before any routing;
    // the longest one it lets through reaches the router.
    expect((await visit(platform.edge, host(name), `/${'a'.repeat(8_000)}`)).status).toBe(414);
    const long = 'a'.repeat(1_000);
    expect((await visit(platform.edge, host(name), `/${long}`)).status).toBe(404);
    expect((await visit(platform.edge, host(name), `/${long}b`)).status).toBe(404);
    expect((await visit(platform.edge, host(name), `/user/${'1'.repeat(1_000)}x`)).status).toBe(404);
    expect((await visit(platform.edge, host(name), '/go', { 'x-team': `${'a'.repeat(8_000)}!` })).status).toBe(404);
    const redirected = await visit(platform.edge, host(name), `/old/${long}`);
    expect([redirected.status, redirected.headers.location]).toEqual([308, `/new/${long}`]);
    // The edge still serves the project afterwards.
    expect((await visit(platform.edge, host(name), '/')).status).toBe(200);
  });

  test('git: a push whose vercel.json has a catastrophic redirect ends ERROR naming the route; the next push with normal ones deploys', async () => {
    const github = platform.github!;
    const repo = { id: githubId(), fullName: `acme/${uniqueName('redos')}` };
    fake.commit(repo.fullName, 'main', { 'index.html': 'first' }, 'first');
    const installationId = githubId();
    const started = await c.post('/v1/git/install', {});
    expect(started.status, started.text).toBe(201);
    fake.addInstallation({ id: installationId, account: { login: 'acme', type: 'Organization' }, repositories: [repo] });
    const state = new URL(started.body.url).searchParams.get('state')!;
    const linked = await c.post('/v1/git/installations', { installationId, state, code: fake.authorize() });
    expect(linked.status, linked.text).toBe(201);
    const name = await project({ gitRepository: { provider: 'github', repo: repo.fullName } });
    const projectId = (await c.get(`/v1/projects/${name}`)).body.id;

    const push = async (files: Record<string, string>): Promise<string> => {
      const commit = fake.commit(repo.fullName, 'main', files, 'routes');
      const res = await deliver(platform.api, github.webhookSecret, 'push', pushPayload({ installationId, repo, branch: 'main', sha: commit.sha }));
      expect(res.status).toBe(202);
      await github.queue.drain();
      const { items } = (await c.get(`/v1/deployments?projectId=${projectId}&limit=100`)).body;
      const deployment = items.find((d: { commitSha: string }) => d.commitSha === commit.sha);
      expect(deployment, `a deployment of ${commit.sha}`).toBeDefined();
      return deployment.id;
    };

    const refusedId = await push(site(name, { redirects: [{ source: CATASTROPHIC_SOURCE, destination: '/x' }] }));
    const refused = await expectRefused(refusedId, [/routes\[\d+\]\.src "[^"]*\(\?:a\+\)\+b[^"]*" can take exponential time/]);
    await expectNothingServed(refused, name);

    const readyId = await push(site(name, NORMAL_CONFIG));
    await expectReady(c, readyId);
    await expect.poll(async () => (await visit(platform.edge, host(name), '/')).body.toString(), { timeout: 20_000 }).toBe(`<h1>home of ${name}</h1>`);
    const redirected = await visit(platform.edge, host(name), `/old/${'a'.repeat(1_000)}`);
    expect(redirected.status).toBe(308);
  });
});
