/**
 * `npm run bench:functions` — functions through Runway against the same code served without it,
 * in one run against a private emulator and the whole local platform in-process (real builder,
 * local build runner, local edge, local function host). Prints the figures, writes
 * bench/results/functions.json and the functions section of bench/RESULTS.md.
 *
 * 1. A trivial Node `(req, res)` function with Vercel's helpers, deployed as `api/hello.ts`
 *    (zero-config, bundled by the builder):
 *    - cold start through the local edge: the first request to each of `COLD` new deployments (the
 *      source differs by a comment each time, so no worker can be reused), request → last byte;
 *    - warm p50/p99 of `WARM` sequential keep-alive GETs through the local edge (HTTP to the edge
 *      port, Host = the deployment's host);
 *    - the same handler called directly: a plain node:http server in this process running Vercel's
 *      helpers (functions/src/launcher/helpers.ts) and the handler, same client, same requests;
 *      overhead ratio = edge p50 / direct p50;
 *    - for context, the local runner alone (a new worker process: spawn, load, answer; and warm
 *      invocations over its Unix socket), which is what the edge calls.
 * 2. A SvelteKit SSR page (tests/fixtures/frameworks/sveltekit-vercel, `GET /`): built with
 *    @sveltejs/adapter-vercel by the real builder and served by the local edge, against the same app
 *    built with @sveltejs/adapter-node and run with `node build`; throughput ratio = Runway req/s /
 *    adapter-node req/s under the same load (bench/load.ts: keep-alive GETs from a child process),
 *    two rounds each in the order A B B A so a shared machine's drifting load weighs on both alike.
 *    Goal ≥ 0.5 locally.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../local/emulator.ts';
import { startLocalAws } from '../local/environment.ts';
import { runLoad, type LoadOptions, type LoadResult } from './load.ts';
import { writeResultsSection } from './results-md.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const SVELTEKIT_FIXTURE = path.join(ROOT, 'tests/fixtures/frameworks/sveltekit-vercel');
/** The adapter-node major that goes with SvelteKit 2 (6.x needs kit 3). */
const ADAPTER_NODE = '@sveltejs/adapter-node@5.5.7';
const COLD = 3;
const RUNNER_COLD = 5;
const WARM = 2_000;
const LOAD: LoadOptions = { requests: 5_000, warmup: 500, concurrency: 16, maxSeconds: 20 };
const BUILD_TIMEOUT_MS = 600_000;

const HANDLER = `export default function handler(req: any, res: any) {
  res.status(200).json({ hello: req.query.name });
}
`;

const exec = promisify(execFile);
const log = (msg: string) => console.error(`[bench:functions] ${msg}`);
const ms = (ns: bigint) => Number(ns) / 1e6;
const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const load1 = () => round(os.loadavg()[0]!, 2);

if (!fs.existsSync(path.join(SVELTEKIT_FIXTURE, 'package.json'))) {
  throw new Error(`No SvelteKit app at ${path.relative(ROOT, SVELTEKIT_FIXTURE)}: the bench measures the framework fixture of the functions issue`);
}

const loadAtStart = load1();
const local = await startLocalAws({ port: await freePort(), mode: 'private' });
Object.assign(process.env, local.env);
process.env.RUNWAY_RATE_LIMIT_PER_MINUTE = '1000000';
// Imported after the environment is set: the handlers read it once.
await import('../tests/support/aws-context.ts');
const { newTeam } = await import('../tests/integration/api/harness.ts');
const { startPlatform, deployFiles, expectReady, readTree } = await import('../tests/integration/builds/platform.ts');
const { parseFunctionConfig } = await import('../functions/src/core/functions/index.ts');
const { addHelpers } = await import('../functions/src/launcher/helpers.ts');
const { eventFromRequest } = await import('../functions/src/launcher/protocol.ts');
const { FunctionRunner } = await import('../local/functions/runner.ts');

const platform = await startPlatform({ buildTimeoutMs: BUILD_TIMEOUT_MS });
const edgePort = Number(new URL(platform.edge).port);
const cleanup: Array<() => Promise<unknown> | unknown> = [];
try {
  const c = platform.client((await newTeam()).tokens.owner);
  const project = `bench-fn-${Date.now().toString(36)}`;
  const created = await c.post('/v1/projects', { name: project });
  if (created.status !== 201) throw new Error(`create project: ${created.status} ${created.text}`);

  // 1. The trivial function.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  cleanup.push(() => agent.destroy());
  const get = (port: number, host: string, pathname: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path: pathname, headers: { host }, agent }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      });
      req.on('error', reject);
    });
  const expectHello = (r: { status: number; body: string }, where: string) => {
    if (r.status !== 200 || r.body !== JSON.stringify({ hello: 'bench' })) throw new Error(`${where} answered ${r.status} ${r.body.slice(0, 300)}`);
  };

  const cold: number[] = [];
  let host = '';
  for (let i = 0; i < COLD; i++) {
    const { deployment } = await deployFiles(c, project, { 'api/hello.ts': `${HANDLER}// bench deployment ${i} ${Date.now()}\n` });
    const ready = await expectReady(c, deployment.id, BUILD_TIMEOUT_MS);
    host = ready.url;
    const t = process.hrtime.bigint();
    const first = await get(edgePort, host, '/api/hello?name=bench');
    cold.push(ms(process.hrtime.bigint() - t));
    expectHello(first, 'the function through the edge (cold)');
    log(`cold start through the edge ${i + 1}/${COLD}: ${round(cold.at(-1)!, 1)} ms`);
  }

  const sequential = async (port: number, h: string, where: string) => {
    expectHello(await get(port, h, '/api/hello?name=bench'), where);
    const out: number[] = [];
    for (let i = 0; i < WARM; i++) {
      const t = process.hrtime.bigint();
      const r = await get(port, h, '/api/hello?name=bench');
      out.push(ms(process.hrtime.bigint() - t));
      if (r.status !== 200) throw new Error(`${where} answered ${r.status} on request ${i}`);
    }
    return out;
  };
  log(`warm: ${WARM} sequential requests through the edge…`);
  const viaEdge = await sequential(edgePort, host, 'the function through the edge');

  // The same handler without Runway: node:http + Vercel's helpers + the handler, same client.
  const fnDir = fs.mkdtempSync(path.join(os.tmpdir(), 'runway-bench-fn-'));
  cleanup.push(() => fs.rmSync(fnDir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(fnDir, 'index.mjs'), HANDLER.replace('(req: any, res: any)', '(req, res)'));
  const handler = (await import(path.join(fnDir, 'index.mjs'))).default as (req: http.IncomingMessage, res: http.ServerResponse) => unknown;
  const direct = http.createServer(async (req, res) => {
    await addHelpers(req, res);
    await handler(req, res);
  });
  await new Promise<void>((r) => direct.listen(0, '127.0.0.1', r));
  cleanup.push(() => new Promise((r) => direct.close(r)));
  log(`warm: ${WARM} sequential requests to the handler directly…`);
  const viaDirect = await sequential((direct.address() as AddressInfo).port, 'localhost', 'the handler directly');

  // Context: the local runner alone (what the edge calls), cold and warm.
  const { config } = parseFunctionConfig('api/hello', { runtime: 'nodejs22.x', handler: 'index.mjs', launcherType: 'Nodejs', shouldAddHelpers: true });
  const event = () => eventFromRequest({ method: 'GET', url: '/api/hello?name=bench', headers: { host: 'bench.localhost' }, body: Buffer.alloc(0), requestId: 'b' });
  const drain = async (body: NodeJS.ReadableStream) => {
    for await (const _ of body) void _;
  };
  const runner = new FunctionRunner();
  cleanup.push(() => runner.close());
  await drain((await runner.invoke({ key: 'warmup', dir: fnDir, config, env: {} }, event())).body);
  const runnerCold: number[] = [];
  for (let i = 0; i < RUNNER_COLD; i++) {
    const t = process.hrtime.bigint();
    await drain((await runner.invoke({ key: `cold-${i}`, dir: fnDir, config, env: {} }, event())).body);
    runnerCold.push(ms(process.hrtime.bigint() - t));
  }
  const viaRunner: number[] = [];
  for (let i = 0; i < WARM; i++) {
    const t = process.hrtime.bigint();
    await drain((await runner.invoke({ key: 'warmup', dir: fnDir, config, env: {} }, event())).body);
    viaRunner.push(ms(process.hrtime.bigint() - t));
  }

  // 2. SvelteKit SSR: Runway (adapter-vercel, real builder, local edge) against adapter-node.
  log('SvelteKit: building the fixture with adapter-vercel through Runway…');
  const appFiles = Object.fromEntries(Object.entries(readTree(SVELTEKIT_FIXTURE)).filter(([file]) => !/^(\.vercel|\.svelte-kit)\//.test(file)));
  const svelteProject = `bench-svelte-${Date.now().toString(36)}`;
  await c.post('/v1/projects', { name: svelteProject });
  const { deployment: svelteDeployment } = await deployFiles(c, svelteProject, appFiles);
  const svelteReady = await expectReady(c, svelteDeployment.id, BUILD_TIMEOUT_MS);
  const runwayPage = await get(edgePort, svelteReady.url, '/');
  if (runwayPage.status !== 200 || !runwayPage.body.includes('Hello world from SvelteKit')) throw new Error(`SvelteKit through Runway answered ${runwayPage.status}: ${runwayPage.body.slice(0, 300)}`);

  log(`SvelteKit: building the same app with ${ADAPTER_NODE}…`);
  const nodeApp = fs.mkdtempSync(path.join(os.tmpdir(), 'runway-bench-svelte-node-'));
  cleanup.push(() => fs.rmSync(nodeApp, { recursive: true, force: true }));
  for (const [file, bytes] of Object.entries(appFiles)) {
    fs.mkdirSync(path.dirname(path.join(nodeApp, file)), { recursive: true });
    fs.writeFileSync(path.join(nodeApp, file), bytes);
  }
  fs.writeFileSync(path.join(nodeApp, 'svelte.config.js'), "import adapter from '@sveltejs/adapter-node';\n\nexport default { kit: { adapter: adapter() } };\n");
  const npm = { cwd: nodeApp, env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false' }, maxBuffer: 64 * 1024 * 1024 };
  await exec('npm', ['ci'], npm);
  await exec('npm', ['install', '-E', '-D', ADAPTER_NODE], npm);
  await exec('npx', ['vite', 'build'], npm);
  const nodePort = await freePort();
  const server: ChildProcess = spawn(process.execPath, ['build'], { cwd: nodeApp, env: { ...process.env, PORT: String(nodePort), HOST: '127.0.0.1', NODE_ENV: 'production' }, stdio: ['ignore', 'ignore', 'inherit'] });
  cleanup.push(() => server.kill());
  const nodePage = await until(async () => {
    const r = await get(nodePort, 'localhost', '/').catch(() => undefined);
    return r?.status === 200 ? r : undefined;
  }, 30_000);
  if (!nodePage.body.includes('Hello world from SvelteKit')) throw new Error(`SvelteKit with adapter-node answered: ${nodePage.body.slice(0, 300)}`);

  // Rounds in the order A B B A, so a machine whose load drifts during the run (it is shared)
  // weighs on both servers alike.
  log(`load: ${LOAD.requests} keep-alive GETs / (≤ ${LOAD.maxSeconds} s), ${LOAD.concurrency} in flight, rounds Runway, adapter-node, adapter-node, Runway…`);
  const targets = {
    runway: { port: edgePort, host: svelteReady.url, path: '/', expectBytes: Buffer.byteLength(runwayPage.body) },
    node: { port: nodePort, host: 'localhost', path: '/', expectBytes: Buffer.byteLength(nodePage.body) },
  };
  const rounds: Record<keyof typeof targets, LoadResult[]> = { runway: [], node: [] };
  for (const who of ['runway', 'node', 'node', 'runway'] as const) rounds[who].push(await runLoad(targets[who], LOAD));
  const runwayLoad = combine(rounds.runway);
  const nodeLoad = combine(rounds.node);
  if (runwayLoad.errors || nodeLoad.errors) throw new Error(`load errors: Runway ${runwayLoad.errors}, adapter-node ${nodeLoad.errors}`);

  const results = {
    measured_at: new Date().toISOString(),
    node: process.version,
    machine: `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    load_average_1m: { start: loadAtStart, end: load1() },
    trivial_function: {
      cold_start_edge_ms: { runs: cold.map((x) => round(x)), p50: round(pct(cold, 50)) },
      warm_edge_ms: { requests: WARM, p50: round(pct(viaEdge, 50)), p99: round(pct(viaEdge, 99)) },
      warm_direct_ms: { requests: WARM, p50: round(pct(viaDirect, 50)), p99: round(pct(viaDirect, 99)) },
      overhead_ratio_p50: round(pct(viaEdge, 50) / pct(viaDirect, 50)),
      overhead_ratio_p99: round(pct(viaEdge, 99) / pct(viaDirect, 99)),
      runner_cold_start_ms: { runs: runnerCold.map((x) => round(x)), p50: round(pct(runnerCold, 50)) },
      runner_warm_ms: { requests: WARM, p50: round(pct(viaRunner, 50)), p99: round(pct(viaRunner, 99)) },
    },
    sveltekit_ssr: {
      load: LOAD,
      rounds: { runway: rounds.runway.map((r) => Math.round(r.rps)), adapter_node: rounds.node.map((r) => Math.round(r.rps)) },
      runway_rps: Math.round(runwayLoad.rps),
      runway_p50_ms: round(runwayLoad.p50_ms, 2),
      runway_p99_ms: round(runwayLoad.p99_ms, 2),
      adapter_node_rps: Math.round(nodeLoad.rps),
      adapter_node_p50_ms: round(nodeLoad.p50_ms, 2),
      adapter_node_p99_ms: round(nodeLoad.p99_ms, 2),
      throughput_ratio: round(runwayLoad.rps / nodeLoad.rps),
      goal: 0.5,
    },
  };
  console.log(JSON.stringify(results, null, 2));
  fs.mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
  fs.writeFileSync(path.join(ROOT, 'bench/results/functions.json'), `${JSON.stringify(results, null, 2)}\n`);
  const t = results.trivial_function;
  const s = results.sveltekit_ssr;
  writeResultsSection(
    'functions',
    'Functions (`npm run bench:functions`)',
    [
      `Load average (1 min) at start / end: ${results.load_average_1m.start} / ${results.load_average_1m.end} on ${os.cpus().length} cores. Raw figures: \`bench/results/functions.json\`.`,
      '',
      'A trivial Node `(req, res)` function with Vercel\'s helpers (`api/hello.ts`, zero-config, built by the real builder), sequential keep-alive GETs from the bench process:',
      '',
      '| figure | value |',
      '|---|---|',
      `| cold start through the local edge (first request to a new deployment's function), p50 of ${COLD} | ${t.cold_start_edge_ms.p50} ms |`,
      `| warm, through the local edge (HTTP, Host of the deployment), p50 / p99 of ${WARM} | ${t.warm_edge_ms.p50} / ${t.warm_edge_ms.p99} ms |`,
      `| warm, the same handler directly (node:http + Vercel's helpers), p50 / p99 | ${t.warm_direct_ms.p50} / ${t.warm_direct_ms.p99} ms |`,
      `| overhead ratio edge / direct, p50 (p99) | ${t.overhead_ratio_p50} (${t.overhead_ratio_p99}) |`,
      `| for context: the local runner alone, cold (new worker process), p50 of ${RUNNER_COLD} | ${t.runner_cold_start_ms.p50} ms |`,
      `| for context: the local runner alone, warm (Unix socket), p50 / p99 | ${t.runner_warm_ms.p50} / ${t.runner_warm_ms.p99} ms |`,
      '',
      `A SvelteKit SSR page (\`tests/fixtures/frameworks/sveltekit-vercel\`, \`GET /\`): rounds of ${LOAD.requests.toLocaleString('en')} keep-alive GETs (at most ${LOAD.maxSeconds} s) after ${LOAD.warmup} warm-up, ${LOAD.concurrency} in flight, from a child process (bench/load.ts), in the order Runway, adapter-node, adapter-node, Runway; req/s over both rounds of a server, p50/p99 the mean of its rounds (req/s per round: Runway ${s.rounds.runway.join(', ')}; adapter-node ${s.rounds.adapter_node.join(', ')}):`,
      '',
      '| server | req/s | p50 ms | p99 ms |',
      '|---|---|---|---|',
      `| Runway: adapter-vercel, real builder, local edge + function worker | ${s.runway_rps} | ${s.runway_p50_ms} | ${s.runway_p99_ms} |`,
      `| the same app, ${ADAPTER_NODE}, \`node build\` | ${s.adapter_node_rps} | ${s.adapter_node_p50_ms} | ${s.adapter_node_p99_ms} |`,
      '',
      `Throughput ratio Runway / adapter-node: **${s.throughput_ratio}** (goal ≥ ${s.goal} locally: ${s.throughput_ratio >= s.goal ? 'ok' : 'missed'}).`,
    ],
    results.measured_at,
  );
} finally {
  for (const step of cleanup.reverse()) await Promise.resolve(step()).catch((error) => log(`cleanup: ${(error as Error).message}`));
  await platform.close();
  await local.emulator.stop();
}

/** Several load rounds of one server as one: req/s over all of them, p50/p99 their mean. */
function combine(results: LoadResult[]): LoadResult {
  const sum = (f: (r: LoadResult) => number) => results.reduce((n, r) => n + f(r), 0);
  const requests = sum((r) => r.requests);
  const seconds = sum((r) => r.seconds);
  return { requests, errors: sum((r) => r.errors), seconds, rps: requests / seconds, p50_ms: sum((r) => r.p50_ms) / results.length, p99_ms: sum((r) => r.p99_ms) / results.length };
}

/** Polls `check` until it returns a value, or throws after `timeoutMs`. */
async function until<T>(check: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`nothing after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
