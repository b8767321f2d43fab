import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { freePort } from '../../../local/emulator.ts';
import { detectSandbox, isPublicAddress, spawnSandboxed, type Destination, type Forward, type SandboxSupport } from '../../../local/sandbox/index.ts';

/**
 * The local sandbox on its own (local/sandbox): what a sandboxed process can and cannot reach, as
 * root (its own uid) and in an unprivileged user namespace. Builds use it (isolation.test.ts);
 * user functions will.
 */
const support = detectSandbox();
let service: http.Server;
let servicePort: number;
let dir: string;

beforeAll(async () => {
  // A platform service on the host's loopback, like the emulator or the API.
  service = http.createServer((req, res) => res.end(`service saw ${req.method} ${req.url}`));
  servicePort = await freePort();
  await new Promise<void>((r) => service.listen(servicePort, '127.0.0.1', r));
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runway-sandbox-test-'));
});
afterAll(async () => {
  await new Promise((r) => service.close(r));
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Runs a node script in a sandbox of `mode`; its stdout, exit code and the broker's refusals. */
async function run(mode: SandboxSupport['mode'], script: string, forwards: Forward[] = []) {
  const work = fs.mkdtempSync(path.join(dir, 'work-'));
  const sandboxed = await spawnSandboxed({ mode }, { command: process.execPath, args: ['-e', script], env: { PATH: process.env.PATH!, HOME: work }, cwd: work, writable: [work], forwards });
  let out = '';
  sandboxed.child.stdout!.on('data', (d) => (out += d));
  sandboxed.child.stderr!.on('data', (d) => (out += d));
  const code = await new Promise<number | null>((r) => sandboxed.child.once('close', r));
  const refusals = [...(sandboxed.broker?.refusals ?? [])];
  await sandboxed.close();
  return { out, code, refusals };
}

const fetchScript = (url: string, method = 'GET') => `
fetch(${JSON.stringify(url)}, { method: ${JSON.stringify(method)}, signal: AbortSignal.timeout(5000) })
  .then(async (r) => console.log('STATUS', r.status, await r.text()))
  .catch((e) => console.log('FAILED', e.cause?.code ?? e.message));`;

describe.runIf(process.platform === 'linux')('sandbox', () => {
  test('this machine has one (builds are not run unsandboxed here)', () => {
    expect(support.mode, support.reason).not.toBe('none');
  });

  describe.each(['root', 'userns'] as const)('%s mode', (mode) => {
    test.runIf(mode !== 'root' || support.mode === 'root')('a service on the host loopback is unreachable on every address', async () => {
      for (const host of ['127.0.0.1', 'localhost', '[::1]']) {
        const { out } = await run(mode, fetchScript(`http://${host}:${servicePort}/secret`));
        expect(out, host).toMatch(/FAILED (ECONNREFUSED|EADDRNOTAVAIL|ENETUNREACH)/);
      }
    });

    test.runIf(mode !== 'root' || support.mode === 'root')('a forward passes what its policy allows, on the same port, and refuses the rest with a 403', async () => {
      const forward: Forward = { kind: 'http', port: servicePort, upstream: `http://127.0.0.1:${servicePort}`, allow: ({ url }) => url.pathname.startsWith('/allowed/') };
      const allowed = await run(mode, fetchScript(`http://localhost:${servicePort}/allowed/x?y=1`), [forward]);
      expect(allowed.out).toContain('STATUS 200 service saw GET /allowed/x?y=1');
      // Dot segments are resolved before the policy decides, as the service would resolve them.
      const refused = await run(mode, fetchScript(`http://127.0.0.1:${servicePort}/allowed/../secret`), [forward]);
      expect(refused.out).toContain("STATUS 403 Runway's build sandbox does not allow");
      expect(refused.out).not.toContain('service saw');
    });

    test.runIf(mode !== 'root' || support.mode === 'root')('no capabilities, and the /proc it sees has only its own processes', async () => {
      const { out } = await run(mode, `
        const fs = require('node:fs');
        console.log('CAPEFF', /CapEff:\\s*(\\w+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]);
        console.log('PIDS', fs.readdirSync('/proc').filter((p) => /^\\d+$/.test(p)).length);
        try { fs.readFileSync('/proc/${process.pid}/environ'); console.log('HOST PID READ'); } catch (e) { console.log('HOST PID', e.code); }
        require('node:child_process').exec('umount /proc', (e) => console.log('UMOUNT', e ? 'refused' : 'done'));`);
      expect(out).toContain('CAPEFF 0000000000000000');
      expect(Number(/PIDS (\d+)/.exec(out)?.[1])).toBeLessThan(10);
      expect(out).toContain('HOST PID ENOENT');
      expect(out).toContain('UMOUNT refused');
    });

    test.runIf(mode !== 'root' || support.mode === 'root')('the runner\'s stop (SIGTERM to its process group, SIGKILL 5 s later) ends everything inside, background processes included', async () => {
      const work = fs.mkdtempSync(path.join(dir, 'work-'));
      const sandboxed = await spawnSandboxed({ mode }, { command: '/bin/sh', args: ['-c', 'sleep 300 & sleep 300 & echo started; wait'], env: { PATH: process.env.PATH! }, cwd: work, writable: [work], forwards: [] });
      let out = '';
      sandboxed.child.stdout!.on('data', (d: Buffer) => (out += d));
      await expect.poll(() => out, { timeout: 30_000 }).toContain('started');
      process.kill(-sandboxed.child.pid!, 'SIGTERM');
      const escalate = setTimeout(() => process.kill(-sandboxed.child.pid!, 'SIGKILL'), 5000);
      // The background sleeps hold the output pipe: it closes only when every process inside is gone.
      await sandboxed.close();
      clearTimeout(escalate);
      expect(sandboxed.child.exitCode ?? sandboxed.child.signalCode).not.toBeNull();
    });
  });

  test.runIf(support.mode === 'root')('as root it runs as a uid of its own: root-only files are closed, its work dir is its own', async () => {
    const rootOnly = path.join(dir, 'root-only');
    fs.writeFileSync(rootOnly, 'platform secret', { mode: 0o600 });
    const { out } = await run('root', `
      const fs = require('node:fs');
      console.log('UID', process.getuid(), 'GROUPS', process.getgroups().join(','));
      try { console.log('READ', fs.readFileSync(${JSON.stringify(rootOnly)}, 'utf8')); } catch (e) { console.log('READ', e.code); }
      fs.writeFileSync('mine.txt', 'x'); console.log('WROTE', (fs.statSync('mine.txt').mode & 0o777).toString(8));`);
    expect(Number(/UID (\d+)/.exec(out)?.[1])).toBeGreaterThanOrEqual(2_100_000_000);
    expect(out).toContain('READ EACCES');
    expect(out).not.toContain('platform secret');
    // Files it makes are its own only (umask 077): another sandbox's uid cannot read them.
    expect(out).toContain('WROTE 600');
  });

  test.runIf(support.mode === 'root')('its proxy opens tunnels only to the destinations the policy allows', async () => {
    const registry = net.createServer((socket) => socket.end('registry says hi'));
    const registryPort = await freePort();
    await new Promise<void>((r) => registry.listen(registryPort, '127.0.0.1', r));
    try {
      const proxyPort = await freePort();
      const forwards: Forward[] = [{ kind: 'proxy', port: proxyPort, allow: ({ host, port }) => host === '127.0.0.1' && port === registryPort }];
      const tunnel = (target: string) => `
        const s = require('node:net').connect(${proxyPort}, '127.0.0.1', () => s.write('CONNECT ${target} HTTP/1.1\\r\\nhost: ${target}\\r\\n\\r\\n'));
        let data = ''; s.on('data', (d) => (data += d)); s.on('close', () => console.log('ANSWER', JSON.stringify(data)));`;
      const allowed = await run('root', tunnel(`127.0.0.1:${registryPort}`), forwards);
      expect(allowed.out).toMatch(/ANSWER "HTTP\/1\.1 200 Connection Established\\r\\n\\r\\nregistry says hi"/);
      const refused = await run('root', tunnel(`127.0.0.1:${servicePort}`), forwards);
      expect(refused.out).toContain('403 Forbidden');
      expect(refused.refusals).toEqual([{ port: proxyPort, what: `a tunnel to 127.0.0.1:${servicePort}` }]);
    } finally {
      await new Promise((r) => registry.close(r));
    }
  });

  test.runIf(support.mode === 'root')('a forward refuses a Host header other than the loopback name and port it is reached by', async () => {
    const forward: Forward = { kind: 'http', port: servicePort, upstream: `http://127.0.0.1:${servicePort}`, allow: () => true };
    const request = (host: string) => `
      const s = require('node:net').connect(${servicePort}, '127.0.0.1', () => s.write('GET /x HTTP/1.1\\r\\nhost: ' + ${JSON.stringify(host)} + '\\r\\nconnection: close\\r\\n\\r\\n'));
      let data = ''; s.on('data', (d) => (data += d)); s.on('close', () => console.log('ANSWER', JSON.stringify(data)));`;
    for (const host of [`127.0.0.1:${servicePort}`, `localhost:${servicePort}`, `[::1]:${servicePort}`]) {
      expect((await run('root', request(host), [forward])).out, host).toContain('service saw GET /x');
    }
    // moto routes by Host (a bucket in the name, even another service): none of these reach it.
    for (const host of [`other-bucket.s3.localhost:${servicePort}`, `dynamodb.us-east-1.amazonaws.com`, `127.0.0.1:1`, `localhost`]) {
      const { out } = await run('root', request(host), [forward]);
      expect(out, host).toContain('403 Forbidden');
      expect(out, host).not.toContain('service saw');
    }
  });

  test.runIf(support.mode === 'root')('the proxy policy decides on the resolved addresses: no spelling of loopback passes a public-only policy', async () => {
    const proxyPort = await freePort();
    const seen: Destination[] = [];
    const forwards: Forward[] = [{ kind: 'proxy', port: proxyPort, allow: (d) => (seen.push(d), d.addresses.every(isPublicAddress)) }];
    const targets = ['127.0.0.1', 'localhost', '[::1]', '0.0.0.0', '2130706433', '0x7f.1', '0177.0.0.1', '127.1', '[::ffff:127.0.0.1]', '[::ffff:7f00:1]', '169.254.169.254', '10.0.0.1'];
    const script = `
      const net = require('node:net');
      const one = (target) => new Promise((resolve) => {
        const s = net.connect(${proxyPort}, '127.0.0.1', () => s.write('CONNECT ' + target + ' HTTP/1.1\\r\\nhost: ' + target + '\\r\\n\\r\\n'));
        let data = ''; s.on('data', (d) => (data += d)); s.on('close', () => resolve(data.split('\\r\\n')[0]));
      });
      (async () => { for (const t of ${JSON.stringify(targets)}) console.log('ANSWER', t, await one(t + ':${servicePort}')); })();`;
    const { out } = await run('root', script, forwards);
    for (const target of targets) expect(out, target).toContain(`ANSWER ${target} HTTP/1.1 403 Forbidden`);
    // Every loopback spelling was seen resolved: the policy never had to parse a host itself.
    expect(seen.filter((d) => d.addresses.includes('127.0.0.1')).map((d) => d.host)).toEqual(['127.0.0.1', 'localhost', '127.0.0.1', '127.0.0.1', '127.0.0.1', '127.0.0.1', '::ffff:7f00:1', '::ffff:7f00:1']);
    expect(isPublicAddress('104.16.0.1')).toBe(true);
  });
});
