import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseFunctionConfig } from '../../../functions/src/core/functions/index.ts';
import { FunctionRunner, type RunnableFunction } from '../../../local/functions/runner.ts';

/** Real functions in real worker processes, reached over HTTP through `FunctionRunner.serve`. */
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'runway-fn-test-'));
const runner = new FunctionRunner({ idleMs: 60_000 });
const functions = new Map<string, RunnableFunction>();
let base = '';
let server: http.Server;

function define(name: string, source: string, vc: Record<string, unknown> = {}, env: Record<string, string> = {}) {
  const dir = path.join(root, `${name}.func`);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'index.mjs'), source);
  const { config } = parseFunctionConfig(name, { runtime: 'nodejs22.x', handler: 'index.mjs', launcherType: 'Nodejs', ...vc });
  functions.set(name, { key: `dpl_test:${name}`, dir, config, env });
}

const release = path.join(root, 'release');
const waitForRelease = `
const waitForRelease = async () => { while (!fs.existsSync(${JSON.stringify(release)})) await new Promise((r) => setTimeout(r, 20)); };`;

beforeAll(async () => {
  process.env.AWS_SECRET_ACCESS_KEY = 'platform-secret-must-not-leak';
  process.env.RUNWAY_PLATFORM_TOKEN = 'platform-token-must-not-leak';
  define(
    'helpers',
    `export default function handler(req, res) {
      if (req.query.go) return res.redirect(req.query.go);
      if (req.method === 'HEAD') return res.status(204).send('');
      res.setHeader('set-cookie', ['a=1; Path=/', 'b=2; Path=/']);
      res.status(201).json({ method: req.method, query: req.query, cookies: req.cookies, body: req.body });
    }`,
    { shouldAddHelpers: true },
  );
  define(
    'web',
    `export function GET(request) {
      const url = new URL(request.url);
      return Response.json({ name: url.searchParams.get('name'), cookie: request.headers.get('cookie') }, { headers: { 'set-cookie': 'w=1' } });
    }
    export async function POST(request) { return new Response(JSON.stringify(await request.json()), { status: 202, headers: { 'content-type': 'application/json' } }); }`,
  );
  define('fetch', `export default { fetch: (request) => new Response('fetch ' + request.method) };`);
  define(
    'stream',
    `import fs from 'node:fs';${waitForRelease}
    export default async function (req, res) { res.writeHead(200, { 'content-type': 'text/plain' }); res.write('first;'); await waitForRelease(); res.end('last'); }`,
    { supportsResponseStreaming: true },
  );
  define('throws', `export default function () { throw new Error('secret internal detail'); }`);
  define('hangs', `export default function () { for (;;) {} }`, { maxDuration: 1 });
  define('crashes', `export default function (req, res) { if (req.url.includes('die=1')) process.exit(3); res.end('alive ' + process.pid); }`);
  define('env', `export default function (req, res) { res.setHeader('content-type', 'application/json'); res.end(JSON.stringify(process.env)); }`, { environment: { FROM_VC_CONFIG: 'v' } }, { DATABASE_URL: 'postgres://deployment' });
  define('concurrent', `import fs from 'node:fs';${waitForRelease}
    export default async function (req, res) { await waitForRelease(); res.end(String(process.pid)); }`);
  server = http.createServer((req, res) => {
    const name = new URL(req.url ?? '/', 'http://x').pathname.split('/')[1] ?? '';
    const fn = functions.get(name);
    if (!fn) return void res.writeHead(404).end();
    void runner.serve(fn, req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  delete process.env.AWS_SECRET_ACCESS_KEY;
  delete process.env.RUNWAY_PLATFORM_TOKEN;
  server?.close();
  await runner.close();
  fs.rmSync(root, { recursive: true, force: true });
});

describe('local function runner', () => {
  test("Node (req, res) with Vercel's helpers: query, cookies, JSON body, status, json, set-cookie", async () => {
    const res = await fetch(`${base}/helpers?a=1&a=2&b=x`, { method: 'POST', headers: { 'content-type': 'application/json', cookie: 'session=abc; theme=dark' }, body: JSON.stringify({ hello: 'world' }) });
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('etag')).toMatch(/^W\//);
    expect(res.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; Path=/']);
    expect(await res.json()).toEqual({ method: 'POST', query: { a: ['1', '2'], b: 'x' }, cookies: { session: 'abc', theme: 'dark' }, body: { hello: 'world' } });
  });

  test('res.redirect(url) is a 307; a malformed JSON body is 400 Invalid JSON; urlencoded bodies are parsed', async () => {
    const redirect = await fetch(`${base}/helpers?go=/elsewhere`, { redirect: 'manual' });
    expect(redirect.status).toBe(307);
    expect(redirect.headers.get('location')).toBe('/elsewhere');
    const bad = await fetch(`${base}/helpers`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{nope' });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toBe('Invalid JSON');
    const form = await fetch(`${base}/helpers`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'x=1&y=two' });
    expect((await form.json()).body).toEqual({ x: '1', y: 'two' });
  });

  test('Web signature: GET/POST exports get a Request, return a Response; other methods 405', async () => {
    const get = await fetch(`${base}/web?name=ada`, { headers: { cookie: 'k=v' } });
    expect(get.status).toBe(200);
    expect(get.headers.getSetCookie()).toEqual(['w=1']);
    expect(await get.json()).toEqual({ name: 'ada', cookie: 'k=v' });
    const post = await fetch(`${base}/web`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"n":1}' });
    expect(post.status).toBe(202);
    expect(await post.json()).toEqual({ n: 1 });
    expect((await fetch(`${base}/web`, { method: 'DELETE' })).status).toBe(405);
    expect(await (await fetch(`${base}/fetch`, { method: 'PUT', body: 'x' })).text()).toBe('fetch PUT');
  });

  test('streaming: the first bytes arrive before the function ends', async () => {
    fs.rmSync(release, { force: true });
    const res = await fetch(`${base}/stream`);
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe('first;');
    // The function is still waiting for the release file: the rest can only come after it.
    fs.writeFileSync(release, '');
    let rest = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += new TextDecoder().decode(chunk.value);
    expect(rest).toBe('last');
  });

  test('a throwing function answers 500 without internal detail; the stack is in its log', async () => {
    const res = await fetch(`${base}/throws`);
    expect(res.status).toBe(500);
    const body = await res.text();
    expect(body).toContain('FUNCTION_INVOCATION_FAILED');
    expect(body).not.toContain('secret internal detail');
    const logs = runner.logs('dpl_test:throws').map((l) => l.line).join('\n');
    expect(logs).toContain('secret internal detail');
    expect(logs).toMatch(/at handler|index\.mjs/);
  });

  test('a function stuck past maxDuration answers 504 FUNCTION_INVOCATION_TIMEOUT and others are unaffected', async () => {
    const started = Date.now();
    const [hung, other] = await Promise.all([fetch(`${base}/hangs`), fetch(`${base}/web?name=still-fine`)]);
    expect(hung.status).toBe(504);
    expect(await hung.text()).toContain('FUNCTION_INVOCATION_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect((await other.json()).name).toBe('still-fine');
    expect(runner.logs('dpl_test:hangs').map((l) => l.line).join('\n')).toContain('Task timed out after 1 seconds');
  }, 20_000);

  test('a crashing worker answers 500; the next request starts a fresh worker', async () => {
    const before = await fetch(`${base}/crashes`);
    expect(before.status).toBe(200);
    const first = await before.text();
    expect((await fetch(`${base}/crashes?die=1`)).status).toBe(500);
    const after = await fetch(`${base}/crashes`);
    expect(after.status).toBe(200);
    const text = await after.text();
    expect(text).toMatch(/^alive \d+$/);
    expect(text).not.toBe(first);
  });

  test('a warm worker is reused between requests', async () => {
    const a = await fetch(`${base}/crashes`);
    const b = await fetch(`${base}/crashes`);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(await a.text()).toBe(await b.text());
  });

  test('process.env holds the function and deployment variables only: no platform secret, no AWS_*', async () => {
    const env = (await (await fetch(`${base}/env`)).json()) as Record<string, string>;
    expect(env.DATABASE_URL).toBe('postgres://deployment');
    expect(env.FROM_VC_CONFIG).toBe('v');
    expect(Object.keys(env).filter((k) => k.startsWith('AWS_'))).toEqual([]);
    expect(JSON.stringify(env)).not.toContain('must-not-leak');
    expect(env.TMPDIR).not.toBe(os.tmpdir());
  });

  test('concurrent requests run in separate workers at the same time', async () => {
    fs.rmSync(release, { force: true });
    const pending = [1, 2, 3].map(() => fetch(`${base}/concurrent`).then((r) => r.text()));
    // All three are held by the function until the release file exists; releasing once ends them all.
    await expect.poll(() => runner.busyWorkers('dpl_test:concurrent'), { timeout: 10_000 }).toBe(3);
    fs.writeFileSync(release, '');
    const pids = await Promise.all(pending);
    expect(new Set(pids).size).toBe(3);
  }, 20_000);
});
