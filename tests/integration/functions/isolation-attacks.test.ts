import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { ZipFile } from 'yazl';
import { parseFunctionConfig } from '../../../functions/src/core/functions/index.ts';
import { config as platformConfig } from '../../../functions/src/lib/config.ts';
import { FunctionHost, type FunctionAnswer } from '../../../local/functions/host.ts';
import { sandboxedWorkers } from '../../../local/functions/isolation.ts';
import { FunctionRunner, type RunnableFunction } from '../../../local/functions/runner.ts';
import { buildLimits } from '../../../local/build-sandbox.ts';
import { detectSandbox, spawnSandboxed } from '../../../local/sandbox/index.ts';

/**
 * A hostile tenant against the local sandbox and function host (regressions of a security review):
 * its environment (a function's `.vc-config.json` `environment`, a project var, a build's env) never
 * reaches the helpers that run as root before the privilege drop; a zip bomb is not extracted; a
 * function cannot read another function's extracted code.
 */
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'runway-isolation-attacks-'));
const out = path.join(root, 'out');
const runner = new FunctionRunner({ idleMs: 60_000, spawnWorker: sandboxedWorkers() });
const functions = new Map<string, RunnableFunction>();
let base = '';
let server: http.Server;

/** A shared library whose constructor records, in `out`, the process (comm), uid and euid it was loaded in. */
const EVIL_C = `
#include <stdio.h>
#include <unistd.h>
#include <fcntl.h>
__attribute__((constructor)) static void pwn(void) {
  char comm[64] = {0}; int f = open("/proc/self/comm", O_RDONLY); if (f >= 0) { read(f, comm, 63); close(f); }
  for (char *p = comm; *p; p++) if (*p == '\\n') *p = 0;
  char path[512]; snprintf(path, sizeof path, "%s/%s-%d-%d", OUT, comm, (int)getuid(), (int)getpid());
  FILE *o = fopen(path, "w");
  if (o) { fprintf(o, "comm=%s uid=%d euid=%d\\n", comm, (int)getuid(), (int)geteuid()); fclose(o); }
}`;

function define(name: string, vc: Record<string, unknown>, env: Record<string, string>) {
  const dir = path.join(root, `${name}.func`);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'index.mjs'), "export default function (req, res) { res.end('uid ' + process.getuid()); }");
  fs.copyFileSync(path.join(root, 'evil.so'), path.join(dir, 'evil.so'));
  const { config } = parseFunctionConfig(name, { runtime: 'nodejs22.x', handler: 'index.mjs', launcherType: 'Nodejs', ...vc });
  functions.set(name, { key: `dpl_attack:${name}`, dir, config, env });
  fs.chmodSync(root, 0o755);
  fs.chmodSync(dir, 0o755);
}

beforeAll(async () => {
  fs.mkdirSync(out, { mode: 0o777 });
  fs.chmodSync(out, 0o777); // Any sandbox uid may record where the library ran.
  fs.writeFileSync(path.join(root, 'evil.c'), EVIL_C);
  execFileSync('gcc', ['-shared', '-fPIC', `-DOUT="${out}"`, '-o', path.join(root, 'evil.so'), path.join(root, 'evil.c')]);
  fs.chmodSync(path.join(root, 'evil.so'), 0o755);
  define('vc-config', { environment: { LD_PRELOAD: './evil.so' } }, {});
  define('project-env', {}, { LD_PRELOAD: './evil.so' });
  server = http.createServer((req, res) => {
    const fn = functions.get(new URL(req.url ?? '/', 'http://x').pathname.split('/')[1] ?? '');
    if (!fn) return void res.writeHead(404).end();
    void runner.serve(fn, req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server?.close();
  await runner.close();
  fs.rmSync(root, { recursive: true, force: true });
});

/** What the library recorded, one line per process it was loaded in (written before the process does anything else). */
function recorded(): string[] {
  return fs.readdirSync(out).map((file) => fs.readFileSync(path.join(out, file), 'utf8').trim());
}

/** root: workers drop to a uid of their own (the mode this machine's tests run in); userns: root only inside the namespace. */
const mode = detectSandbox().mode;

for (const [name, how] of [
  ['vc-config', "the function's .vc-config.json environment"],
  ['project-env', "a project environment variable"],
] as const) {
  test(`LD_PRELOAD from ${how} never runs as root; the function still answers`, async () => {
    for (const file of fs.readdirSync(out)) fs.rmSync(path.join(out, file));
    const res = await fetch(`${base}/${name}`);
    const body = await res.text();
    expect(res.status).toBe(200);
    expect(body).toMatch(mode === 'root' ? /^uid [1-9]\d*$/ : /^uid \d+$/);
    const lines = recorded();
    // The library did load (the variable reached the function's own processes)...
    expect(lines.some((line) => line.startsWith('comm=node '))).toBe(true);
    // ...but only after the drop: never in prlimit/setpriv (root before the drop), never as uid 0.
    expect(lines.filter((line) => /comm=(prlimit|setpriv|unshare) /.test(line))).toEqual([]);
    if (mode === 'root') expect(lines.filter((line) => / uid=0 | euid=0$/.test(line))).toEqual([]);
  }, 60_000);
}

test("LD_PRELOAD in a build's environment (the sandbox builds run in, with their limits) never runs as root", async () => {
  for (const file of fs.readdirSync(out)) fs.rmSync(path.join(out, file));
  const work = fs.mkdtempSync(path.join(root, 'build-'));
  const env = { PATH: '/usr/bin:/bin', LD_PRELOAD: path.join(root, 'evil.so') };
  const sandboxed = await spawnSandboxed({ mode }, { command: '/bin/sh', args: ['-c', 'echo built'], env, cwd: work, writable: [work], forwards: [], limits: buildLimits({}) });
  let output = '';
  sandboxed.child.stdout!.on('data', (d) => (output += d));
  const code = await new Promise<number | null>((resolve) => sandboxed.child.once('close', resolve));
  await sandboxed.close();
  expect({ code, output }).toEqual({ code: 0, output: 'built\n' });
  const lines = recorded();
  expect(lines.some((line) => line.startsWith('comm=sh '))).toBe(true);
  expect(lines.filter((line) => /comm=(prlimit|setpriv|unshare) /.test(line))).toEqual([]);
  if (mode === 'root') expect(lines.filter((line) => / uid=0 | euid=0$/.test(line))).toEqual([]);
}, 60_000);

describe('the local function host against hostile code', () => {
  const MiB = 1024 * 1024;
  const s3 = new S3Client({ forcePathStyle: true });
  const bucket = platformConfig().RUNWAY_ARTIFACT_BUCKET;
  const teamId = 'team_attacker';
  const cacheDir = path.join(root, 'code-cache');
  const { config: fnConfig } = parseFunctionConfig('api/bomb', { runtime: 'nodejs22.x', handler: 'index.mjs', launcherType: 'Nodejs' });
  const INDEX = "export default function (req, res) { res.end('hi'); }";

  /** A zip of `files` (a number: that many MiB of zeros, deflated to about a thousandth) stored as a blob of `team`; its sha. */
  async function storeZip(files: Record<string, string | number>, team = teamId): Promise<string> {
    const zip = new ZipFile();
    for (const [name, content] of Object.entries(files)) {
      if (typeof content === 'string') zip.addBuffer(Buffer.from(content), name);
      else {
        const chunk = Buffer.alloc(MiB);
        zip.addReadStream(Readable.from((function* () { for (let i = 0; i < content; i++) yield chunk; })()), name, { size: content * MiB });
      }
    }
    zip.end();
    const chunks: Buffer[] = [];
    for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const sha = createHash('sha256').update(body).digest('hex');
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `blobs/${team}/${sha}`, Body: body }));
    return sha;
  }

  const deployed = new Map<string, { sha: string; team: string }>();
  const host = new FunctionHost({
    s3,
    bucket,
    cacheDir,
    // Lowered from Lambda's 250 MB (and 100,000 entries) so the test writes little.
    maxUnzippedBytes: 8 * MiB,
    maxZipEntries: 50,
    runner: { spawnWorker: sandboxedWorkers() },
    deployer: {
      read: async (deploymentId) => {
        const found = deployed.get(deploymentId);
        return found && { deploymentId, teamId: found.team, projectId: 'prj_attack', functions: [{ name: 'api/bomb', sha: found.sha, config: fnConfig, functionName: 'runway-fn-bomb' }], env: {}, sensitiveKeys: [] };
      },
    },
  });
  afterAll(() => host.close());

  /** Runs the blob `sha` of `team` as the function `api/bomb` of a deployment of its own (`tag`: another one). */
  function invoke(sha: string, { team = teamId, query = '', tag = '' } = {}) {
    const deploymentId = `dpl_${sha.slice(0, 16)}${tag}`;
    deployed.set(deploymentId, { sha, team });
    const answer = { kind: 'function', name: 'api/bomb', fn: {}, path: '/api/bomb', query: {}, headers: {} } as unknown as FunctionAnswer;
    return host.invoke(deploymentId, answer, { method: 'GET', path: '/api/bomb', query, headers: {}, body: Readable.from([]), clientIp: '127.0.0.1' });
  }

  /** What the cache holds besides the extracted code of `except`. */
  const leftovers = (except?: string) => (fs.existsSync(cacheDir) ? fs.readdirSync(cacheDir).filter((name) => name !== except) : []);

  test('a zip that unzips past the limit is not extracted: 500, a clear log line, nothing left or cached', async () => {
    const sha = await storeZip({ 'index.mjs': INDEX, 'pad.bin': 64 });
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      for (let attempt = 0; attempt < 2; attempt++) {
        const res = await invoke(sha);
        expect(res.statusCode).toBe(500);
        res.body.resume();
        expect(leftovers()).toEqual([]);
      }
      const logged = errors.mock.calls.map((call) => JSON.stringify(call));
      expect(logged.filter((line) => line.includes('[functions] cannot run') && line.includes(`unzips to more than ${8 * MiB} bytes`))).toHaveLength(2);
    } finally {
      errors.mockRestore();
    }
  }, 60_000);

  test('a zip of more entries than the limit is not extracted', async () => {
    const files: Record<string, string> = { 'index.mjs': INDEX };
    for (let i = 0; i < 60; i++) files[`empty/${i}`] = '';
    const sha = await storeZip(files);
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const res = await invoke(sha);
      expect(res.statusCode).toBe(500);
      res.body.resume();
      expect(leftovers()).toEqual([]);
      expect(errors.mock.calls.map((call) => JSON.stringify(call)).some((line) => line.includes('61 zip entries, more than 50'))).toBe(true);
    } finally {
      errors.mockRestore();
    }
  }, 60_000);

  test('code under the limits still runs', async () => {
    const sha = await storeZip({ 'index.mjs': INDEX, 'pad.bin': 4 });
    const res = await invoke(sha);
    expect(res.statusCode).toBe(200);
    expect(await text(res.body)).toBe('hi');
    expect(leftovers(sha)).toEqual([]);
  }, 60_000);

  test.runIf(mode === 'root')("another team's function cannot read a function's extracted code, even knowing its sha; the same code deployed twice runs in both", async () => {
    const victimFiles = { 'index.mjs': "export default function (req, res) { res.end('victim secret code'); }" };
    const victim = await storeZip(victimFiles, 'team_victim');
    expect(await storeZip(victimFiles, 'team_copy')).toBe(victim);
    const attacker = await storeZip({
      'index.mjs': `import fs from 'node:fs';
        export default function (req, res) {
          const p = new URL(req.url, 'http://x').searchParams.get('p');
          try { res.end('read ' + (fs.statSync(p).isDirectory() ? fs.readdirSync(p).join(',') : fs.readFileSync(p, 'utf8'))); } catch (error) { res.end('error ' + error.code); }
        }`,
    });
    const read = async (target: string) => text((await invoke(attacker, { query: `p=${encodeURIComponent(target)}` })).body);
    expect(await text((await invoke(victim, { team: 'team_victim' })).body)).toBe('victim secret code');
    expect(await read(path.join(cacheDir, victim, 'index.mjs'))).toBe('error EACCES');
    expect(await read(path.join(cacheDir, victim))).toBe('error EACCES');
    expect(await read(cacheDir)).toBe('error EACCES'); // No listing of the cache either.
    // Its own code it reads (a function may read its own files, as on Lambda).
    expect(await read(path.join(cacheDir, attacker, 'index.mjs'))).toMatch(/^read import fs/);
    // The same zip in another deployment of another team: one extracted dir, one group, both run.
    expect(await text((await invoke(victim, { team: 'team_copy', tag: 'copy' })).body)).toBe('victim secret code');
  }, 120_000);
});
