import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { decodings } from '../../support/decodings.ts';
import { newTeam, uniqueName, type Client } from '../api/harness.ts';
import { buildLog, buildUntilKilled, deployFiles, isRunning, runningWith, startPlatform, visit, waitForEnd, waitForLogLine, type Platform } from './platform.ts';

let platform: Platform;
let c: Client;
beforeAll(async () => {
  platform = await startPlatform();
  const team = await newTeam();
  c = platform.client(team.tokens.owner);
});
afterAll(() => platform?.close());

async function project(settings: Record<string, unknown> = {}): Promise<string> {
  const name = uniqueName('p');
  const res = await c.post('/v1/projects', { name, ...settings });
  expect(res.status).toBe(201);
  return name;
}

const host = (label: string) => `${label}.localhost`;

/** A project whose build script is `build.mjs` made of these lines. */
const scriptSite = (...lines: string[]) => ({
  'package.json': JSON.stringify({ name: 'site', private: true, scripts: { build: 'node build.mjs' } }),
  'build.mjs': lines.join('\n'),
});

describe('upload → build → READY → served by the edge', () => {
  test('a static site deploys as is, production follows it, and the edge serves its pages', async () => {
    const name = await project();
    const site = {
      'index.html': `<h1>home of ${name}</h1>`,
      'about.html': '<h1>about</h1>',
      '404.html': '<h1>custom not found</h1>',
      'assets/app.1a2b3c4d.js': 'console.log(1)',
      'runway.json': JSON.stringify({ cleanUrls: true }),
    };
    const { deployment } = await deployFiles(c, name, site, 'production');
    expect(deployment.state).toBe('QUEUED');
    const done = await waitForEnd(c, deployment.id);
    expect(done.state).toBe('READY');

    // READY means the deployment's own URL serves; production follows right after.
    expect((await visit(platform.edge, done.url, '/')).body.toString()).toBe(site['index.html']);
    await expect.poll(async () => (await visit(platform.edge, host(name), '/')).status, { timeout: 20_000 }).toBe(200);
    const home = await visit(platform.edge, host(name), '/');
    expect(home.body.toString()).toBe(site['index.html']);
    expect((await visit(platform.edge, host(name), '/about')).body.toString()).toBe(site['about.html']);
    const missing = await visit(platform.edge, host(name), '/nope');
    expect(missing.status).toBe(404);
    expect(missing.body.toString()).toBe(site['404.html']);
    // runway.json configures routing; it is not served.
    expect((await visit(platform.edge, host(name), '/runway.json')).status).toBe(404);
  });

  test('the build log is readable by cursor afterwards and names the steps', async () => {
    const name = await project();
    const { deployment } = await deployFiles(c, name, { 'index.html': 'x' });
    await waitForEnd(c, deployment.id);
    const lines = await buildLog(c, deployment.id);
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) expect(line).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z /);
    expect(lines.join('\n')).toMatch(/detect/);
  });

  test('a build script runs with env vars; sensitive values never reach the log', async () => {
    const name = await project();
    const secret = `s3cr3t-${uniqueName('v')}`;
    for (const [key, value, sensitive] of [
      ['PUBLIC_GREETING', 'hello-plain-value', false],
      ['API_SECRET', secret, true],
    ] as const) {
      const res = await c.post(`/v1/projects/${name}/env`, { key, value, sensitive, target: ['preview'] });
      expect(res.status).toBe(201);
    }
    const files = scriptSite(
      "import fs from 'node:fs';",
      "console.log('greeting', process.env.PUBLIC_GREETING);",
      "console.log('secret is', process.env.API_SECRET);",
      "fs.mkdirSync('dist', { recursive: true });",
      "fs.writeFileSync('dist/index.html', `<p>${process.env.PUBLIC_GREETING}:${process.env.API_SECRET.length}</p>`);",
    );
    const { deployment } = await deployFiles(c, name, files);
    const done = await waitForEnd(c, deployment.id);
    expect(done.state).toBe('READY');
    const log = (await buildLog(c, deployment.id)).join('\n');
    expect(log).toContain('greeting hello-plain-value');
    expect(log).toContain('secret is [redacted]');
    expect(log).not.toContain(secret);
    const page = await visit(platform.edge, done.url, '/');
    expect(page.body.toString()).toBe(`<p>hello-plain-value:${secret.length}</p>`);
  });

  test('a sensitive value with ", \\, spaces, & and non-ASCII appears in no form (escaped, URL-encoded, base64) in the log or the error', async () => {
    const name = await project();
    const marker = uniqueName('m');
    const secret = `p@ss "${marker}" \\ & é€ end`;
    const res = await c.post(`/v1/projects/${name}/env`, { key: 'TRICKY', value: secret, sensitive: true, target: ['preview'] });
    expect(res.status).toBe(201);
    const files = scriptSite(
      'const v = process.env.TRICKY;',
      'console.log(JSON.stringify(process.env));',
      'console.log(JSON.stringify(JSON.stringify({ v })));',
      'console.log(process.env);',
      'console.log(encodeURIComponent(v), encodeURI(v), new URLSearchParams({ v }).toString());',
      "for (const pad of ['', 'a', 'ab', 'abc']) console.log(Buffer.from(pad + v).toString('base64'), Buffer.from(pad + v).toString('base64url'));",
      "console.log(Buffer.from(JSON.stringify(process.env)).toString('base64'));",
      "console.log(Buffer.from(v).toString('hex'));",
      'console.error(JSON.stringify({ failingWith: v }));',
      'process.exit(1);',
    );
    const { deployment } = await deployFiles(c, name, files);
    const done = await waitForEnd(c, deployment.id);
    expect(done.state).toBe('ERROR');
    const lines = await buildLog(c, deployment.id);
    expect(lines.join('\n')).toContain('[redacted]');
    // Stored log lines, the error tail on the deployment, and the API's answers: nothing decodes back to the value.
    const stored = [...lines, done.errorMessage as string, JSON.stringify(done), JSON.stringify((await c.get(`/v1/deployments/${deployment.id}`)).body)];
    for (const text of stored) {
      for (const piece of text.split(/\[redacted\]|\s+/)) {
        for (const decoded of decodings(piece)) expect(decoded, piece).not.toContain(marker);
      }
    }
  });

  test('a failing build ends ERROR with the step and its last log lines, and nothing goes live', async () => {
    const name = await project();
    const files = {
      'package.json': JSON.stringify({ name: 'site', private: true, scripts: { build: 'node -e "console.log(\'about to fail\'); process.exit(3)"' } }),
    };
    const { deployment } = await deployFiles(c, name, files, 'production');
    const done = await waitForEnd(c, deployment.id);
    expect(done.state).toBe('ERROR');
    expect(done.errorStep).toBe('build');
    expect(done.errorMessage).toContain('about to fail');
    expect((await visit(platform.edge, host(name), '/')).status).toBe(404);
    // The production host stays reserved for the project, serving nothing.
    const { items } = (await c.get(`/v1/projects/${name}/aliases`)).body;
    expect(items).toEqual([expect.objectContaining({ host: host(name), kind: 'production' })]);
    expect(items[0]).not.toHaveProperty('deploymentId');
  });

  test('cancel stops a running build: CANCELED, its process tree killed', async () => {
    const name = await project();
    const marker = `runway-cancel-${crypto.randomUUID()}`;
    const files = { 'package.json': JSON.stringify({ name: 'site', private: true, scripts: { build: buildUntilKilled(marker) } }) };
    const { deployment } = await deployFiles(c, name, files);
    // The build command runs (it only ends when killed): its pid is in the log, as its PID
    // namespace (the sandbox's) numbers it; the host finds the same process by its marker.
    const pid = Number((await waitForLogLine(c, deployment.id, /build pid (\d+)/))[1]);
    const tree = runningWith(marker);
    expect(tree.map((p) => p.innerPid)).toContain(pid);
    expect(tree.every((p) => isRunning(p.pid))).toBe(true);
    const res = await c.post(`/v1/deployments/${deployment.id}/cancel`);
    expect(res.status).toBe(200);
    expect(res.body.state).toBe('CANCELED');
    await expect.poll(() => tree.filter((p) => isRunning(p.pid)), { timeout: 60_000 }).toEqual([]);
    expect(runningWith(marker)).toEqual([]);
    await expect.poll(() => platform.ports.scheduler.active, { timeout: 60_000 }).toBe(0);
    expect((await c.get(`/v1/deployments/${deployment.id}`)).body.state).toBe('CANCELED');
  });

  test('rollback serves the earlier deployment’s exact bytes, promote the later one again', async () => {
    const name = await project();
    const first = await deployFiles(c, name, { 'index.html': '<p>first</p>' }, 'production');
    expect((await waitForEnd(c, first.deployment.id)).state).toBe('READY');
    const second = await deployFiles(c, name, { 'index.html': '<p>second</p>' }, 'production');
    expect((await waitForEnd(c, second.deployment.id)).state).toBe('READY');
    // The local edge, like CloudFront's KeyValueStore, sees a new value within a moment.
    await expect.poll(async () => (await visit(platform.edge, host(name), '/')).body.toString(), { timeout: 20_000 }).toBe('<p>second</p>');

    const rolled = await c.post(`/v1/projects/${name}/rollback`, {});
    expect(rolled.status).toBe(200);
    await expect.poll(async () => (await visit(platform.edge, host(name), '/')).body.toString(), { timeout: 20_000 }).toBe('<p>first</p>');
    const promoted = await c.post(`/v1/projects/${name}/promote`, { deploymentId: second.deployment.id });
    expect(promoted.status).toBe(200);
    await expect.poll(async () => (await visit(platform.edge, host(name), '/')).body.toString(), { timeout: 20_000 }).toBe('<p>second</p>');
  });

  test('a redeploy uploads nothing new: only files the team lacks are asked for', async () => {
    const name = await project();
    const files = { 'index.html': `<p>${uniqueName('x')}</p>`, 'a.css': 'body{}' };
    const first = await deployFiles(c, name, files);
    expect(first.uploaded).toBe(2);
    const again = await deployFiles(c, name, { ...files, 'b.css': `p{--x:${uniqueName('y')}}` });
    expect(again.uploaded).toBe(1);
    expect((await waitForEnd(c, again.deployment.id)).state).toBe('READY');
  });
});
