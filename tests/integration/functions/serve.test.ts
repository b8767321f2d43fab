import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { LocalFunctionDeployer } from '../../../functions/src/adapters/function-deployer/local.ts';
import { S3ArtifactStore } from '../../../functions/src/adapters/artifacts/s3.ts';
import { KmsEnvCipher } from '../../../functions/src/adapters/env-cipher/kms.ts';
import { config } from '../../../functions/src/lib/config.ts';
import { detectSandbox } from '../../../local/sandbox/index.ts';
import { newTeam, uniqueName, type Client } from '../api/harness.ts';
import { buildLog, deployFiles, expectReady, startPlatform, visit, type Platform } from '../builds/platform.ts';

/**
 * Functions end to end under the local platform: a Build Output API project uploaded through the
 * API, built by the real builder (its functions zipped into blobs), finalized (the local
 * FunctionDeployer twin records them with the runtime env), served through the local edge over
 * HTTP by real worker processes in the sandbox, their logs read back through the API.
 */
const s3 = new S3Client({ forcePathStyle: true });
let platform: Platform;
let c: Client;
let name: string;
let host: string;
let deploymentId: string;
const SECRET = `s3cr3t-${Math.random().toString(36).slice(2)}-value`;
/** A directory the functions (another uid in the sandbox) can read: the streaming function waits for a file in it. */
const shared = fs.mkdtempSync(path.join(os.tmpdir(), 'runway-fn-release-'));
// Sticky and world-writable like /tmp: a worker (its own uid in root mode) says here that it started.
fs.chmodSync(shared, 0o1777);

const vc = (extra: Record<string, unknown> = {}) => JSON.stringify({ runtime: 'nodejs22.x', handler: 'index.mjs', launcherType: 'Nodejs', ...extra });
const fn = (fnPath: string, source: string, extra: Record<string, unknown> = {}) => ({
  [`.vercel/output/functions/${fnPath}.func/index.mjs`]: source,
  [`.vercel/output/functions/${fnPath}.func/.vc-config.json`]: vc(extra),
});
const waitFor = (file: string) =>
  `const waitFor = async (f) => { while (!fs.existsSync(f)) await new Promise((r) => setTimeout(r, 20)); }; const RELEASE = ${JSON.stringify(file)};`;

function project(version: string) {
  return {
    '.vercel/output/config.json': JSON.stringify({ version: 3, routes: [{ handle: 'filesystem' }, { src: '^/users/([^/]+)$', dest: '/api/node?id=$1' }] }),
    '.vercel/output/static/index.html': `<h1>static ${version}</h1>`,
    ...fn(
      'api/node',
      `export default function handler(req, res) {
        if (req.query.status) return res.status(Number(req.query.status)).send('status ' + req.query.status);
        console.log('node handler saw', req.method, req.url);
        console.warn('a warning');
        res.setHeader('set-cookie', ['a=1; Path=/', 'b=2; Path=/']);
        res.status(201).json({ version: ${JSON.stringify(version)}, method: req.method, url: req.url, query: req.query, cookies: req.cookies, body: req.body, matched: req.headers['x-matched-path'] });
      }`,
      { shouldAddHelpers: true },
    ),
    ...fn(
      'api/web',
      `export function GET(request) { const url = new URL(request.url); return Response.json({ name: url.searchParams.get('name'), path: url.pathname }); }
       export async function POST(request) { return Response.json({ got: await request.json() }, { status: 202 }); }`,
    ),
    ...fn(
      'api/stream',
      `import fs from 'node:fs'; ${waitFor(path.join(shared, 'release'))}
       export default async function (req, res) { res.writeHead(200, { 'content-type': 'text/plain' }); res.write('first;'); await waitFor(RELEASE); res.end('last'); }`,
      { supportsResponseStreaming: true },
    ),
    ...fn('api/throws', `export default function () { throw new Error('kaboom-from-the-function'); }`),
    ...fn('api/sleeps', `export default function () { for (;;) {} }`, { maxDuration: 1 }),
    ...fn(
      'api/hog',
      `const held = []; export default async function (req, res) { for (let i = 0; i < 40; i++) { held.push(Buffer.alloc(16 * 1024 * 1024, 1)); await new Promise((r) => setTimeout(r, 25)); } res.end('survived ' + held.length); }`,
      { memory: 128 },
    ),
    ...fn('api/crash', `export default function (req, res) { if (req.query.die) process.exit(3); res.end('alive ' + process.pid); }`, { shouldAddHelpers: true }),
    ...fn(
      'api/wait',
      `import fs from 'node:fs'; ${waitFor(path.join(shared, 'go'))}
       const worker = Math.random().toString(36).slice(2); // pids repeat: each worker has its own PID namespace
       export default async function (req, res) { fs.writeFileSync(${JSON.stringify(shared)} + '/started-' + req.query.n, ''); await waitFor(RELEASE); res.end(worker); }`,
      { shouldAddHelpers: true },
    ),
    ...fn(
      'api/probe',
      `import fs from 'node:fs'; import http from 'node:http'; import net from 'node:net';
       const connect = (host, port) => new Promise((resolve) => { const s = net.connect({ host, port, timeout: 2000 }); s.once('connect', () => { s.destroy(); resolve('connected'); }); s.once('timeout', () => { s.destroy(); resolve('timeout'); }); s.once('error', (e) => resolve(e.code)); });
       const viaProxy = (url) => new Promise((resolve) => { const r = http.request({ host: '127.0.0.1', port: 3128, path: url, headers: { host: new URL(url).host }, timeout: 5000 }, (res) => { res.resume(); resolve(res.statusCode); }); r.once('error', (e) => resolve(e.code)); r.once('timeout', () => { r.destroy(); resolve('timeout'); }); r.end(); });
       export default async function (req, res) {
         const targets = JSON.parse(req.query.targets);
         if (req.query.leak) { console.log('the secret is', process.env.API_SECRET); console.error(JSON.stringify({ secret: process.env.API_SECRET })); }
         const out = { env: process.env, pid1environ: (() => { try { return fs.readFileSync('/proc/1/environ', 'utf8'); } catch (e) { return e.code; } })() };
         for (const [label, url] of Object.entries(targets)) { const u = new URL(url); out[label] = { direct: await connect(u.hostname, Number(u.port || 80)), proxy: await viaProxy(url) }; }
         res.setHeader('content-type', 'application/json'); res.end(JSON.stringify(out));
       }`,
      { shouldAddHelpers: true },
    ),
  };
}

beforeAll(async () => {
  platform = await startPlatform();
  const team = await newTeam();
  c = platform.client(team.tokens.owner);
  name = uniqueName('fns');
  expect((await c.post('/v1/projects', { name })).status).toBe(201);
  expect((await c.post(`/v1/projects/${name}/env`, { key: 'API_SECRET', value: SECRET, target: ['preview'], sensitive: true })).status).toBe(201);
  expect((await c.post(`/v1/projects/${name}/env`, { key: 'GREETING', value: 'hello-plain', target: ['preview'] })).status).toBe(201);
  const { deployment } = await deployFiles(c, name, project('v1'));
  const done = await expectReady(c, deployment.id, 180_000);
  deploymentId = done.id;
  host = done.url;
}, 240_000);

afterAll(async () => {
  await platform?.close();
  fs.rmSync(shared, { recursive: true, force: true });
});

/** A request through the edge with a method and body. */
function call(pathname: string, options: { method?: string; body?: string; headers?: Record<string, string> } = {}) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const req = http.request(new URL(pathname, platform.edge), { method: options.method ?? 'GET', headers: { host, ...options.headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Function log lines through the API, polled until `match` finds one (logs are flushed every 200 ms). */
async function logLine(filters: Record<string, string>, match: (item: { message: string; level: string; requestId?: string }) => boolean) {
  let found: any;
  await expect
    .poll(
      async () => {
        const res = await c.get(`/v1/deployments/${deploymentId}/logs?${new URLSearchParams({ limit: '1000', ...filters })}`);
        expect(res.status).toBe(200);
        found = res.body.items.find(match);
        return found !== undefined;
      },
      { timeout: 20_000, interval: 250 },
    )
    .toBe(true);
  return found;
}

describe('functions through the local edge', () => {
  test('the API object lists the functions; statics still served', async () => {
    const res = await c.get(`/v1/deployments/${deploymentId}`);
    expect(res.body.functions.map((f: { name: string }) => f.name).sort()).toEqual(['api/crash', 'api/hog', 'api/node', 'api/probe', 'api/sleeps', 'api/stream', 'api/throws', 'api/wait', 'api/web']);
    expect((await visit(platform.edge, host, '/')).body.toString()).toBe('<h1>static v1</h1>');
  });

  test("Node handler with Vercel's helpers: query, JSON body, cookies, set-cookie, status codes, the original URL after a rewrite", async () => {
    const res = await call('/api/node?x=1&x=2', { method: 'POST', body: JSON.stringify({ hello: 'world' }), headers: { 'content-type': 'application/json', cookie: 'c1=v1; c2=v2' } });
    expect(res.status).toBe(201);
    expect(res.headers['set-cookie']).toEqual(['a=1; Path=/', 'b=2; Path=/']);
    const body = JSON.parse(res.body);
    expect(body).toMatchObject({ version: 'v1', method: 'POST', query: { x: ['1', '2'] }, cookies: { c1: 'v1', c2: 'v2' }, body: { hello: 'world' }, matched: '/api/node' });
    expect((await call('/api/node?status=418')).status).toBe(418);
    // A rewrite: the function sees the visitor's path, the route's query, and x-matched-path.
    const rewritten = JSON.parse((await call('/users/42?tab=a')).body);
    expect(rewritten).toMatchObject({ url: '/users/42?tab=a&id=42', query: { id: '42', tab: 'a' }, matched: '/api/node' });
  });

  test('Web handler: GET and POST, other methods 405', async () => {
    expect(JSON.parse((await call('/api/web?name=ada')).body)).toEqual({ name: 'ada', path: '/api/web' });
    const posted = await call('/api/web', { method: 'POST', body: JSON.stringify({ n: 1 }), headers: { 'content-type': 'application/json' } });
    expect(posted.status).toBe(202);
    expect(JSON.parse(posted.body)).toEqual({ got: { n: 1 } });
    expect((await call('/api/web', { method: 'DELETE' })).status).toBe(405);
    // Files still take GET/HEAD only (405, as origin-request answers in AWS).
    expect((await call('/', { method: 'POST' })).status).toBe(405);
  });

  test('streaming: the first chunk arrives before the function ends', async () => {
    const chunks: string[] = [];
    const ended = await new Promise<string>((resolve, reject) => {
      const req = http.get(new URL('/api/stream', platform.edge), { headers: { host } }, (res) => {
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          chunks.push(chunk);
          // Only now may the function finish: this chunk cannot be the end of a buffered body.
          if (chunks.length === 1) fs.writeFileSync(path.join(shared, 'release'), '', { mode: 0o644 });
        });
        res.on('end', () => resolve(chunks.join('')));
      });
      req.on('error', reject);
    });
    expect(chunks[0]).toBe('first;');
    expect(ended).toBe('first;last');
  });

  test('a throw answers 500 and its stack is in the function log, read through the API', async () => {
    const res = await call('/api/throws');
    expect(res.status).toBe(500);
    expect(res.headers['x-vercel-error']).toBe('FUNCTION_INVOCATION_FAILED');
    expect(res.body).not.toContain('kaboom');
    const line = await logLine({ function: 'api/throws', level: 'error' }, (item) => item.message.includes('kaboom-from-the-function'));
    expect(line.level).toBe('error');
    expect(line.message).toContain('at '); // the stack, one event
    expect(line.requestId).toMatch(/^[0-9a-f-]{36}$/);
    await logLine({ function: 'api/throws' }, (item) => item.message.startsWith(`REPORT RequestId: ${line.requestId}`));
  });

  test('levels: console.log info, console.warn warn; filters by level and time; bad filters are 400s', async () => {
    await call('/api/node');
    const info = await logLine({ function: 'api/node', level: 'info' }, (item) => item.message.startsWith('node handler saw GET'));
    expect(info.level).toBe('info');
    const warn = await logLine({ function: 'api/node', level: 'warn' }, (item) => item.message === 'a warning' && item.requestId === info.requestId);
    expect(warn.level).toBe('warn');
    const future = await c.get(`/v1/deployments/${deploymentId}/logs?since=${new Date(Date.now() + 3_600_000).toISOString()}`);
    expect(future.status).toBe(200);
    expect(future.body.items).toEqual([]);
    for (const bad of ['level=loud', 'since=yesterday', 'function=api/nope', 'limit=0', 'cursor=not-a-cursor', `since=${new Date().toISOString()}&until=2000-01-01T00:00:00Z`, 'extra=1']) {
      const res = await c.get(`/v1/deployments/${deploymentId}/logs?${bad}`);
      expect(res.status, bad).toBe(400);
      expect(res.body.error.code, bad).toBeTypeOf('string');
    }
    // The cursor continues after the page: a live tail sees only newer lines.
    const first = await c.get(`/v1/deployments/${deploymentId}/logs?function=api/node&limit=1`);
    const rest = await c.get(`/v1/deployments/${deploymentId}/logs?function=api/node&limit=1000&cursor=${first.body.next}`);
    expect(rest.status).toBe(200);
    expect(rest.body.items[0]).not.toEqual(first.body.items[0]);
  });

  test('another team cannot read the logs (404 as for GET deployment)', async () => {
    const other = await newTeam();
    const res = await platform.client(other.tokens.owner).get(`/v1/deployments/${deploymentId}/logs`);
    expect(res.status).toBe(404);
  });

  test('a function past maxDuration answers 504; a crash answers 500 and the next request gets a fresh worker', async () => {
    const slow = await call('/api/sleeps');
    expect(slow.status).toBe(504);
    expect(slow.headers['x-vercel-error']).toBe('FUNCTION_INVOCATION_TIMEOUT');
    const before = await call('/api/crash');
    expect(before.body).toMatch(/^alive \d+$/);
    expect((await call('/api/crash?die=1')).status).toBe(500);
    const after = await call('/api/crash');
    expect(after.status).toBe(200);
    expect(after.body).toMatch(/^alive \d+$/);
  });

  test("a function past its memory is stopped: 500, and its log says which limit", async () => {
    const res = await call('/api/hog');
    expect(res.status).toBe(500);
    expect(res.body).not.toContain('survived');
    const line = await logLine({ function: 'api/hog', level: 'error' }, (item) => item.message.includes('[sandbox] stopped'));
    expect(line.message).toContain('the function used more than its 128 MiB of memory (its `memory`)');
  });

  test('concurrent requests run in separate workers at once', async () => {
    const go = path.join(shared, 'go');
    const both = Promise.all([call('/api/wait?n=1'), call('/api/wait?n=2')]);
    // Both are inside the function at once before either may finish.
    await expect.poll(() => ['started-1', 'started-2'].every((f) => fs.existsSync(path.join(shared, f))), { timeout: 20_000 }).toBe(true);
    fs.writeFileSync(go, '', { mode: 0o644 });
    const [a, b] = await both;
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect(a.body).not.toBe(b.body);
  });

  test('isolation: no emulator, no API, no metadata address, no platform env; the runtime env is there', async () => {
    // Namespaces are what isolate workers: on a machine without them this test says so, not passes.
    const support = detectSandbox();
    expect(support.mode, support.reason).not.toBe('none');
    const targets = { emulator: process.env.AWS_ENDPOINT_URL!, api: platform.api, metadata: 'http://169.254.169.254/latest/meta-data/' };
    process.env.RUNWAY_CANARY_SECRET = 'platform-only';
    const res = await call(`/api/probe?targets=${encodeURIComponent(JSON.stringify(targets))}`);
    expect(res.status).toBe(200);
    const out = JSON.parse(res.body);
    for (const label of Object.keys(targets)) {
      expect(out[label].direct, label).not.toBe('connected');
      expect(out[label].proxy, label).not.toBe(200);
    }
    expect(out.env.API_SECRET).toBe(SECRET);
    expect(out.env.GREETING).toBe('hello-plain');
    expect(Object.keys(out.env).filter((k) => /^(AWS_|RUNWAY_)/.test(k))).toEqual([]);
    expect(out.pid1environ).not.toContain('AWS_');
    expect(out.pid1environ).not.toContain(SECRET);
  });

  test('the sensitive runtime var is nowhere else: API, index, manifest, build log, function log (redacted), S3 in plaintext', async () => {
    await call('/api/probe?targets=%7B%7D&leak=1');
    // The function log is redacted as build logs are, whatever encoding the function printed it in.
    const leaked = await logLine({ function: 'api/probe' }, (item) => item.message.startsWith('the secret is'));
    expect(leaked.message).toBe('the secret is [redacted]');
    await logLine({ function: 'api/probe', level: 'error' }, (item) => item.message === '{"secret":"[redacted]"}');
    const env = await c.get(`/v1/projects/${name}/env`);
    expect(JSON.stringify(env.body)).not.toContain(SECRET);
    expect(JSON.stringify((await c.get(`/v1/deployments/${deploymentId}`)).body)).not.toContain(SECRET);
    expect((await buildLog(c, deploymentId)).join('\n')).not.toContain(SECRET);
    const bucket = config().RUNWAY_ARTIFACT_BUCKET;
    for (const prefix of ['routes/', 'manifests/', 'functions/', 'edge-kvs/']) {
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
      for (const object of listed.Contents ?? []) {
        if (!object.Key?.includes(deploymentId) && !object.Key?.startsWith('edge-kvs/')) continue;
        const text = await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: object.Key }))).Body!.transformToString();
        expect(text, object.Key).not.toContain(SECRET);
      }
    }
    const logs = await c.get(`/v1/deployments/${deploymentId}/logs?limit=1000`);
    expect(JSON.stringify(logs.body)).not.toContain(SECRET);
    // The twin's record holds it encrypted, and decrypts it back with the emulator's KMS.
    const record = await new LocalFunctionDeployer(new S3ArtifactStore(bucket), new KmsEnvCipher()).read(deploymentId);
    expect(record?.env.API_SECRET).toBe(SECRET);
  });

  test('a redeploy and a rollback serve each deployment its own function code', async () => {
    const { deployment } = await deployFiles(c, name, project('v2'), 'production');
    const v2 = await expectReady(c, deployment.id, 180_000);
    const production = `${name}.localhost`;
    const versionAt = async (h: string) => JSON.parse((await visit(platform.edge, h, '/api/node')).body.toString()).version;
    await expect.poll(() => versionAt(production), { timeout: 20_000 }).toBe('v2');
    expect(await versionAt(host)).toBe('v1');
    const { deployment: again } = await deployFiles(c, name, project('v3'), 'production');
    await expectReady(c, again.id, 180_000);
    await expect.poll(() => versionAt(production), { timeout: 20_000 }).toBe('v3');
    expect((await c.post(`/v1/projects/${name}/rollback`, { deploymentId: v2.id })).status).toBeLessThan(300);
    await expect.poll(() => versionAt(production), { timeout: 20_000 }).toBe('v2');
  });
});
