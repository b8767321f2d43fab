import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { startMoto, type Emulator } from '../../local/emulator.ts';
import { killGroup, npmStartPorts, spawnNpmStart } from '../support/npm-start.ts';
import { client, sha256, type Client } from './api/harness.ts';

/**
 * `npm start` as a person runs it, in its own process group: its state survives a restart, a
 * dead emulator degrades it (503s) instead of killing it, and it recovers when the emulator is back.
 */
const repo = path.resolve(import.meta.dirname, '../..');
const running: ChildProcessWithoutNullStreams[] = [];
/** This machine's environment without the test run's emulator settings: what a person's shell has. */
const shell = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(RUNWAY_|AWS_|POWERTOOLS_)/.test(k)));
const emulators: Emulator[] = [];
const stateDirs: string[] = [];
afterAll(async () => {
  for (const child of running) killGroup(child);
  for (const emulator of emulators) await emulator.stop();
  for (const dir of stateDirs) fs.rmSync(dir, { recursive: true, force: true });
});

function makeStateDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  stateDirs.push(dir);
  return dir;
}

interface Runway {
  child: ChildProcessWithoutNullStreams;
  output(): string;
  exited: Promise<number | null>;
  ports: Record<string, string>;
  api: string;
}

async function start(ports: Record<string, string>, args: string[] = []): Promise<Runway> {
  const runway = spawnNpmStart({ ...shell, ...ports }, args);
  running.push(runway.child);
  await expect.poll(runway.output, { timeout: 120_000, interval: 250 }).toContain('Ctrl-C stops everything');
  return { ...runway, ports, api: `http://127.0.0.1:${ports.RUNWAY_API_PORT}` };
}

async function stop(runway: Runway, signal: NodeJS.Signals): Promise<void> {
  process.kill(-runway.child.pid!, signal);
  await runway.exited;
  await expect.poll(() => fs.existsSync(path.join(runway.ports.RUNWAY_STATE_DIR!, 'start.pid')), { timeout: 60_000 }).toBe(false);
}

/** `npm run admin -- create-token` against the running `npm start`. */
async function token(ports: Record<string, string>, team: string): Promise<string> {
  const child = spawn('npm', ['run', '--silent', 'admin', '--', 'create-token', '--team', team, '--json'], { cwd: repo, env: { ...shell, RUNWAY_EMULATOR_PORT: ports.RUNWAY_EMULATOR_PORT! } });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const code = await new Promise((r) => child.once('close', r));
  if (code !== 0) throw new Error(`create-token: ${out}`);
  return JSON.parse(out.slice(out.indexOf('{'))).secret as string;
}

/** A GET through the local edge with the Host a browser would send. */
function visit(edgePort: string, host: string, pathname = '/'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: Number(edgePort), path: pathname, headers: { host: `${host}:${edgePort}` }, agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function deploy(c: Client, project: string, files: Record<string, string>, target: 'production' | 'preview' = 'production') {
  const list = Object.entries(files).map(([file, text]) => ({ file, sha: sha256(text), size: Buffer.byteLength(text), text }));
  const body = { project, target, files: list.map(({ file, sha, size }) => ({ file, sha, size })) };
  let res = await c.post('/v1/deployments', body);
  if (res.status === 400 && res.body?.error?.code === 'missing_files') {
    for (const f of list) {
      await c.request('POST', '/v1/files', { raw: f.text, headers: { 'content-type': 'application/octet-stream', 'x-runway-digest': `sha256=${f.sha}` } });
    }
    res = await c.post('/v1/deployments', body);
  }
  expect(res.status, res.text).toBe(201);
  return res.body as { id: string; url: string };
}

async function stateOf(c: Client, id: string, states: string[], timeout = 180_000): Promise<any> {
  let last: any;
  await expect
    .poll(async () => {
      last = (await c.get(`/v1/deployments/${id}`)).body;
      return states.includes(last?.state);
    }, { timeout, interval: 250 })
    .toBe(true);
  return last;
}

async function logOf(c: Client, id: string): Promise<string> {
  const lines: string[] = [];
  let cursor = '';
  for (let i = 0; i < 50; i++) {
    const res = await c.get(`/v1/deployments/${id}/events${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ''}`);
    lines.push(...res.body.items.map((e: { text: string }) => e.text));
    if (res.body.done || !res.body.next) break;
    cursor = res.body.next;
  }
  return lines.join('\n');
}

/** A build script that prints the digest of a sensitive env var (proving it decrypted) and writes a page. */
const siteFiles = (page: string) => ({
  'package.json': JSON.stringify({ name: 'site', private: true, scripts: { build: 'node build.mjs' } }),
  'build.mjs': [
    "import { createHash } from 'node:crypto';",
    "import fs from 'node:fs';",
    "console.log('digest', createHash('sha256').update(process.env.DB_PASSWORD ?? 'unset').digest('hex'));",
    "fs.mkdirSync('dist', { recursive: true });",
    `fs.writeFileSync('dist/index.html', ${JSON.stringify(page)});`,
  ].join('\n'),
});

describe('npm start', () => {
  test('a restart keeps the team\'s token, project, deployment and its served bytes, and a sensitive env var still decrypts for a build; --reset starts empty', async () => {
    const stateDir = makeStateDir('runway-persist-');
    const ports = await npmStartPorts(stateDir);
    const first = await start(ports);
    const secret = await token(ports, 'persisted');
    const c = client({ base: first.api } as never, secret);
    const project = `keep-${Date.now().toString(36)}`;
    expect((await c.post('/v1/projects', { name: project })).status).toBe(201);
    const password = `pw-${Math.random().toString(36).slice(2)}`;
    expect((await c.post(`/v1/projects/${project}/env`, { key: 'DB_PASSWORD', value: password, sensitive: true, target: ['production'] })).status).toBe(201);
    const page = `<p>persisted ${project}</p>`;
    const deployment = await deploy(c, project, siteFiles(page));
    expect((await stateOf(c, deployment.id, ['READY', 'ERROR'])).state).toBe('READY');
    const digest = createHash('sha256').update(password).digest('hex');
    expect(await logOf(c, deployment.id)).toContain(`digest ${digest}`);
    await expect.poll(async () => (await visit(ports.RUNWAY_EDGE_PORT!, `${project}.localhost`)).body, { timeout: 10_000 }).toBe(page);

    // SIGTERM (a service manager's stop) saves the emulator's state and leaves no pid file.
    await stop(first, 'SIGTERM');
    const stateFile = path.join(stateDir, 'emulator.pickle');
    const size = fs.statSync(stateFile).size;

    const began = Date.now();
    const second = await start(ports);
    const restartMs = Date.now() - began;
    console.log(`[persistence] state file ${(size / 1024).toFixed(0)} KiB; npm start with it ready in ${restartMs} ms; ${/state restored from .* in (\d+) ms/.exec(second.output())?.[1]} ms of that restoring`);
    const again = client({ base: second.api } as never, secret);
    expect((await again.get('/v1/projects')).body.items.map((p: { name: string }) => p.name)).toContain(project);
    expect((await again.get(`/v1/deployments/${deployment.id}`)).body.state).toBe('READY');
    expect(await visit(ports.RUNWAY_EDGE_PORT!, `${project}.localhost`)).toEqual({ status: 200, body: page });
    // The index backfill runs once at start and logs its counts: this deployment has its index already.
    await expect.poll(() => /deployment index backfill: (\d+) deployments served, (\d+) indexed already, 0 backfilled/.exec(second.output())?.slice(1).map(Number), { timeout: 10_000 }).toEqual([expect.any(Number), expect.any(Number)]);
    expect(Number(/(\d+) indexed already/.exec(second.output())![1])).toBeGreaterThanOrEqual(1);
    // The ciphertext stored before the restart decrypts with the key material kept across it.
    const redeploy = await again.post(`/v1/deployments/${deployment.id}/redeploy`);
    expect(redeploy.status, redeploy.text).toBe(201);
    expect((await stateOf(again, redeploy.body.id, ['READY', 'ERROR'])).state).toBe('READY');
    expect(await logOf(again, redeploy.body.id)).toContain(`digest ${digest}`);
    await stop(second, 'SIGINT');

    const reset = await start(ports, ['--reset']);
    expect(reset.output()).toContain('--reset: starting with an empty emulator');
    expect((await client({ base: reset.api } as never, secret).get('/v1/projects')).status).toBe(401);
    await stop(reset, 'SIGINT');
  }, 600_000);

  test('an emulator killed mid-build: npm start stays up, answers 503 with the error shape while it is down, recovers when it is back, leaves no temp dir', async () => {
    const stateDir = makeStateDir('runway-outage-');
    const ports = await npmStartPorts(stateDir);
    const runway = await start(ports);
    const c = client({ base: runway.api } as never, await token(ports, 'outage'));
    const project = `outage-${Date.now().toString(36)}`;
    expect((await c.post('/v1/projects', { name: project })).status).toBe(201);
    const live = await deploy(c, project, { 'index.html': '<p>live</p>' });
    expect((await stateOf(c, live.id, ['READY', 'ERROR'])).state).toBe('READY');
    await expect.poll(async () => (await visit(ports.RUNWAY_EDGE_PORT!, `${project}.localhost`)).body, { timeout: 10_000 }).toBe('<p>live</p>');
    const stateFile = path.join(stateDir, 'emulator.pickle');
    // A build that prints now and then: each line is flushed on its own, with silence after it.
    const slow = await deploy(c, project, {
      'package.json': JSON.stringify({ name: 'slow', private: true, scripts: { build: 'node build.mjs' } }),
      'build.mjs': "import fs from 'node:fs';\nlet n = 0;\nconst t = setInterval(() => {\n  console.log('tick', ++n);\n  if (n === 12) { clearInterval(t); fs.mkdirSync('dist'); fs.writeFileSync('dist/index.html', 'slow'); }\n}, 2000);",
    }, 'preview');
    await stateOf(c, slow.id, ['BUILDING']);
    // Mid-build: its own script is running (and its log is being stored) when the emulator dies.
    await expect.poll(async () => logOf(c, slow.id), { timeout: 60_000, interval: 500 }).toContain('tick 1');
    expect(fs.readdirSync(os.tmpdir()).some((d) => d.startsWith(`runway-build-${slow.id}-`))).toBe(true);
    // The emulator saves its state a moment after changes (the build's log keeps changing it), so
    // a SIGKILL loses at most that moment: wait for a save made after the live deployment was served.
    const servedAt = Date.now();
    await expect.poll(() => fs.statSync(stateFile).mtimeMs > servedAt, { timeout: 15_000 }).toBe(true);

    const pid = Number(/emulator started at \S+ \(pid (\d+)/.exec(runway.output())?.[1]);
    expect(pid).toBeGreaterThan(0);
    process.kill(pid, 'SIGKILL');

    // Down: the API's routes answer 503 with the error shape, the edge 503 (not "No deployment here").
    await expect.poll(async () => (await c.get('/v1/projects', { allow5xx: true })).status, { timeout: 60_000 }).toBe(503);
    const down = await c.get('/v1/projects', { allow5xx: true });
    expect(down.body).toEqual({ error: { code: 'service_unavailable', message: expect.any(String) } });
    expect(down.headers.get('retry-after')).toBe('5');
    await expect.poll(async () => (await visit(ports.RUNWAY_EDGE_PORT!, `${project}.localhost`)).status, { timeout: 10_000 }).toBe(503);
    expect((await visit(ports.RUNWAY_EDGE_PORT!, `${project}.localhost`)).body).not.toContain('No deployment');
    expect(runway.child.exitCode).toBeNull();

    // Back on the same port with the state it last saved: everything answers again.
    emulators.push(await startMoto(Number(ports.RUNWAY_EMULATOR_PORT), { stateFile }));
    await expect.poll(async () => (await c.get('/v1/projects', { allow5xx: true })).status, { timeout: 60_000 }).toBe(200);
    await expect.poll(async () => (await visit(ports.RUNWAY_EDGE_PORT!, `${project}.localhost`)).body, { timeout: 30_000 }).toBe('<p>live</p>');

    // The build that lost its storage ended one way or another, and left nothing behind.
    await expect.poll(() => fs.readdirSync(os.tmpdir()).some((d) => d.startsWith(`runway-build-${slow.id}-`)), { timeout: 120_000, interval: 500 }).toBe(false);
    expect(runway.child.exitCode).toBeNull();
    expect(runway.output()).not.toContain('unhandled rejection');
    await stop(runway, 'SIGINT');
  }, 600_000);
});
