import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { freePort } from '../../../local/emulator.ts';
import { createEdgeServer } from '../../../local/edge.ts';
import { createGateway } from '../../../local/gateway.ts';
import { useLocalPlatformPorts, type LocalPlatformPorts } from '../../../local/platform.ts';
import { afterAll, beforeAll } from 'vitest';
import { client, newTeam, sha256, type Client } from '../api/harness.ts';
import { Build } from '../../../functions/src/core/build/index.ts';
import { resetConfig } from '../../../functions/src/lib/config.ts';
import { useLocalGitHub, type LocalGitHub } from '../../../local/github.ts';
import type { StepLimits } from '../../../functions/src/builder/limits.ts';
import type { SandboxLimits } from '../../../local/sandbox/index.ts';

/**
 * The whole local platform in-process, as `npm start` wires it: the real gateway and handlers,
 * builds in child processes through the local build runner, the local edge over the emulator.
 */
export interface Platform {
  api: string;
  edge: string;
  ports: LocalPlatformPorts;
  /** The GitHub App against the fake GitHub (with `github: true`). */
  github: LocalGitHub | undefined;
  client(token: string): Client;
  close(): Promise<void>;
}

export async function startPlatform(
  options: { buildTimeoutMs?: number; buildStepLimits?: StepLimits; buildLimits?: Partial<SandboxLimits>; github?: boolean; consoleOrigins?: string[]; domains?: { dnsServers: string[]; target: string } } = {},
): Promise<Platform> {
  const gateway: http.Server = createGateway({ allowOrigins: options.consoleOrigins ?? [] });
  const apiPort = await freePort();
  await new Promise<void>((r) => gateway.listen(apiPort, '127.0.0.1', r));
  const api = `http://127.0.0.1:${apiPort}`;
  const ports = useLocalPlatformPorts({
    apiUrl: api,
    ...(options.buildTimeoutMs ? { buildTimeoutMs: options.buildTimeoutMs } : {}),
    ...(options.buildStepLimits ? { buildStepLimits: options.buildStepLimits } : {}),
    ...(options.buildLimits ? { buildLimits: options.buildLimits } : {}),
    ...(options.domains ? { domains: options.domains } : {}),
  });
  const edgeServer: http.Server = createEdgeServer();
  const edgePort = await freePort();
  await new Promise<void>((r) => edgeServer.listen(edgePort, '127.0.0.1', r));
  Object.assign(process.env, { RUNWAY_EDGE_SCHEME: 'http', RUNWAY_EDGE_PORT: String(edgePort) });
  resetConfig();
  const github = options.github ? await useLocalGitHub({ envFile: '/nonexistent/.env.github' }) : undefined;
  return {
    api,
    edge: `http://127.0.0.1:${edgePort}`,
    ports,
    github,
    client: (token) => client({ base: api } as never, token),
    close: async () => {
      await github?.close();
      await ports.close();
      await Promise.all([gateway, edgeServer].map((s) => new Promise((r) => s.close(r))));
    },
  };
}

/**
 * The platform for a whole test file, started before its tests and closed after them, with a new
 * team whose owner token `client()` uses.
 */
export function usePlatform(options?: Parameters<typeof startPlatform>[0]): { platform: () => Platform; client: () => Client } {
  let platform: Platform | undefined;
  let owner: Client | undefined;
  beforeAll(async () => {
    platform = await startPlatform(options);
    owner = platform.client((await newTeam()).tokens.owner);
  });
  afterAll(() => platform?.close());
  return { platform: () => platform as Platform, client: () => owner as Client };
}

/** Every file of a directory (node_modules and build output excluded), as upload paths → bytes. */
export function readTree(dir: string): Record<string, Buffer> {
  const files: Record<string, Buffer> = {};
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const abs = path.join(entry.parentPath, entry.name);
    const rel = path.relative(dir, abs).split(path.sep).join('/');
    if (/(^|\/)(node_modules|dist|out|_site|build|\.next|\.astro)\//.test(rel)) continue;
    files[rel] = fs.readFileSync(abs);
  }
  return files;
}

/**
 * Deploys files through the upload protocol, as a CLI would: ask, upload what is missing, ask
 * again. Returns the created deployment and how many files were uploaded.
 */
export async function deployFiles(c: Client, project: string, files: Record<string, Buffer | string>, target: 'production' | 'preview' = 'preview') {
  const list = Object.entries(files).map(([file, content]) => {
    const bytes = Buffer.from(content);
    return { file, sha: sha256(bytes), size: bytes.length, bytes };
  });
  const body = { project, target, files: list.map(({ file, sha, size }) => ({ file, sha, size })) };
  let res = await c.post('/v1/deployments', body);
  let uploaded = 0;
  if (res.status === 400 && res.body?.error?.code === 'missing_files') {
    const missing = new Set<string>(res.body.error.missing);
    for (const f of list.filter((f) => missing.has(f.sha))) {
      const up = await c.request('POST', '/v1/files', {
        raw: f.bytes,
        headers: { 'content-type': 'application/octet-stream', 'x-runway-digest': `sha256=${f.sha}` },
      });
      if (up.status !== 200) throw new Error(`upload of ${f.file}: ${up.status} ${up.text}`);
      missing.delete(f.sha);
      uploaded++;
    }
    res = await c.post('/v1/deployments', body);
  }
  if (res.status !== 201) throw new Error(`create deployment: ${res.status} ${res.text}`);
  return { deployment: res.body, uploaded };
}

/** Polls a deployment until it leaves QUEUED/BUILDING. */
export async function waitForEnd(c: Client, id: string, timeoutMs = 120_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await c.get(`/v1/deployments/${id}`);
    if (!['QUEUED', 'BUILDING'].includes(res.body.state)) return res.body;
    if (Date.now() > deadline) throw new Error(`deployment ${id} still ${res.body.state} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Waits for the end and fails with the build's own explanation unless it is READY. */
export async function expectReady(c: Client, id: string, timeoutMs = 120_000): Promise<any> {
  const done = await waitForEnd(c, id, timeoutMs);
  if (done.state !== 'READY') throw new Error(`${id}: ${done.state} at ${done.errorStep}: ${done.errorMessage}`);
  return done;
}

/** Polls until the deployment is BUILDING. */
export async function waitForBuilding(c: Client, id: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await c.get(`/v1/deployments/${id}`)).body.state !== 'BUILDING') {
    if (Date.now() > deadline) throw new Error(`deployment ${id} never started building`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The whole build log, following the events cursor until the build is done. */
export async function buildLog(c: Client, id: string): Promise<string[]> {
  const lines: string[] = [];
  let cursor = '';
  for (let i = 0; i < 200; i++) {
    const res = await c.get(`/v1/deployments/${id}/events${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ''}`);
    if (res.status !== 200) throw new Error(`events: ${res.status} ${res.text}`);
    lines.push(...res.body.items.map((e: { text: string }) => e.text));
    if (res.body.done) return lines;
    cursor = res.body.next;
    if (res.body.items.length === 0) await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the log never ended');
}

/**
 * Polls the build log until a line matches `pattern` (while the build runs); returns the match.
 * Fails when the build ends without such a line, or after `timeoutMs`.
 */
export async function waitForLogLine(c: Client, id: string, pattern: RegExp, timeoutMs = 120_000): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  let cursor = '';
  for (;;) {
    const res = await c.get(`/v1/deployments/${id}/events${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ''}`);
    if (res.status !== 200) throw new Error(`events: ${res.status} ${res.text}`);
    for (const { text } of res.body.items as Array<{ text: string }>) {
      const found = pattern.exec(text);
      if (found) return found;
    }
    if (res.body.done) throw new Error(`${id}: the build ended without a log line matching ${pattern}`);
    if (Date.now() > deadline) throw new Error(`${id}: no log line matching ${pattern} after ${timeoutMs} ms`);
    cursor = res.body.next ?? cursor;
    if (res.body.items.length === 0) await new Promise((r) => setTimeout(r, 100));
  }
}

/** Whether a process is running (a zombie, killed but not yet reaped, is not). */
export function isRunning(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/**
 * A build command that prints its pid (`build pid <n>`, as its own PID namespace numbers it) and
 * then runs until it is killed. `marker`, an argument it ignores, lets the test find its
 * processes from the host ({@link runningWith}) whatever PID namespace it runs in: the local
 * sandbox gives builds their own.
 */
export const buildUntilKilled = (marker: string): string => `node -e "console.log('build pid ' + process.pid); setInterval(() => {}, 1000)" ${marker}`;

/** {@link buildUntilKilled} with a fixed marker, for tests that do not look for its processes. */
export const BUILD_UNTIL_KILLED = buildUntilKilled('runway-build-until-killed');

/**
 * The running processes (host pids) whose command line holds `marker`, each with its pid as the
 * innermost PID namespace numbers it (the last `NSpid` of /proc/<pid>/status; the host pid when
 * it has no namespace of its own).
 */
export function runningWith(marker: string): Array<{ pid: number; innerPid: number }> {
  const found: Array<{ pid: number; innerPid: number }> = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    try {
      if (!fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker) || !isRunning(pid)) continue;
      const nspid = /^NSpid:\s+(.+)$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]?.trim().split(/\s+/).map(Number);
      found.push({ pid, innerPid: nspid?.at(-1) ?? pid });
    } catch {
      // Gone between the listing and the read.
    }
  }
  return found;
}

/** The builder's result line of a finished deployment (`Build.resultOf` over its whole log). */
export async function buildResult(c: Client, id: string): Promise<any> {
  const result = Build.resultOf(await buildLog(c, id));
  if (!result) throw new Error(`${id}: no RUNWAY_RESULT line in the build log`);
  return result;
}

/** A GET through the local edge with the Host a browser would send. */
export async function visit(edge: string, host: string, pathname: string, headers: Record<string, string> = {}) {
  const { request } = await import('node:http');
  const url = new URL(pathname, edge);
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
    const req = request(url, { headers: { host, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}
