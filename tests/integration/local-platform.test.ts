import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type http from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { freePort, isEmulatorAt, MOTO_INSTALL_HINT } from '../../local/emulator.ts';
import { startLocalAws } from '../../local/environment.ts';
import { createGateway } from '../../local/gateway.ts';
import { killGroup, npmStartPorts, spawnNpmStart } from '../support/npm-start.ts';

const repo = path.resolve(import.meta.dirname, '../..');

describe('local gateway', () => {
  let server: http.Server;
  let base: string;
  beforeAll(async () => {
    server = createGateway();
    const port = await freePort();
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    base = `http://127.0.0.1:${port}`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  test('GET /v1/health runs the real handler and reports the emulator reachable', async () => {
    const res = await fetch(`${base}/v1/health`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-correlation-id')).toMatch(/^[0-9a-f-]{36}$/);
    const body = await res.json();
    expect(body).toMatchObject({ status: 'ok', version: expect.any(String), aws: { reachable: true } });
    expect(body.services.dynamodb.reachable).toBe(true);
    expect(body.services.s3.reachable).toBe(true);
  });

  test('an unknown route is a 404 with the error shape, from the $default route as in AWS', async () => {
    const res = await fetch(`${base}/v1/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'route_not_found', message: 'No route GET /v1/nope' } });
  });
});

describe('emulator', () => {
  test('a taken port makes tests use another free port', async () => {
    const blocker = net.createServer();
    const taken = await freePort();
    await new Promise<void>((r) => blocker.listen(taken, '127.0.0.1', r));
    const local = await startLocalAws({ port: taken, mode: 'private' });
    try {
      expect(local.emulator.port).not.toBe(taken);
      expect(await isEmulatorAt(local.emulator.port)).toBe(true);
    } finally {
      await local.emulator.stop();
      blocker.close();
    }
    expect(await isEmulatorAt(local.emulator.port)).toBe(false);
  });
});

describe('npm start', () => {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'runway-start-'));
  const children: ChildProcessWithoutNullStreams[] = [];
  afterAll(() => {
    // Each whole process group: npm and the platform under it.
    for (const child of children) killGroup(child);
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  const ports = () => npmStartPorts(stateDir);

  function start(env: Record<string, string>) {
    const run = spawnNpmStart({ ...process.env, AWS_ENDPOINT_URL: '', ...env });
    children.push(run.child);
    return run;
  }

  test('starts the emulator, serves health, refuses a second start, and Ctrl-C stops everything', async () => {
    const env = await ports();
    const first = start(env);
    const health = await poll(`http://localhost:${env.RUNWAY_API_PORT}/v1/health`, 60_000);
    expect(health.aws.reachable).toBe(true);
    expect(health.aws.endpoint).toBe(`http://localhost:${env.RUNWAY_EMULATOR_PORT}`);

    const second = start({ ...env, RUNWAY_API_PORT: String(await freePort()) });
    expect(await second.exited).toBe(1);
    expect(second.output()).toMatch(/already running \(npm start, pid \d+\)/);

    await expect.poll(first.output, { timeout: 60_000 }).toContain('Ctrl-C stops everything');
    // Ctrl-C: the terminal signals the whole group (npm, node), and npm forwards it once more;
    // an impatient second Ctrl-C on top must not kill the process halfway through its cleanup.
    process.kill(-first.child.pid!, 'SIGINT');
    process.kill(-first.child.pid!, 'SIGINT');
    await first.exited;
    await expect.poll(() => fs.existsSync(path.join(stateDir, 'start.pid')), { timeout: 15_000 }).toBe(false);
    expect(first.output()).toContain('SIGINT: stopping');
    expect(await isEmulatorAt(Number(env.RUNWAY_EMULATOR_PORT))).toBe(false);
    await expect(fetch(`http://localhost:${env.RUNWAY_API_PORT}/v1/health`)).rejects.toThrow();
  }, 120_000);

  test('a port on the Fetch standard\'s bad-port list is refused at start, naming its variable', async () => {
    for (const [name, value] of [['RUNWAY_EMULATOR_PORT', '6566'], ['RUNWAY_EDGE_PORT', '6000'], ['RUNWAY_API_PORT', '10080']] as const) {
      const run = start({ ...(await ports()), [name]: value });
      expect(await run.exited).toBe(1);
      expect(run.output()).toContain(`${name}=${value} is on the Fetch standard's "bad port" list`);
    }
    const external = start({ ...(await ports()), AWS_ENDPOINT_URL: 'http://localhost:6665' });
    expect(await external.exited).toBe(1);
    expect(external.output()).toContain('AWS_ENDPOINT_URL=http://localhost:6665 uses port 6665');
  }, 60_000);

  test('without moto_server on PATH it says how to install it', async () => {
    const env = await ports();
    const bin = path.join(repo, 'node_modules/.bin');
    const noMoto = start({ ...env, PATH: `${bin}:/usr/bin:/bin` });
    expect(await noMoto.exited).toBe(1);
    expect(noMoto.output()).toContain(MOTO_INSTALL_HINT);
  }, 30_000);
});

async function poll(url: string, timeoutMs: number): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url);
      if (res.ok) return res.json();
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
