/**
 * `npm run bench:edge` — the edge's figures, printed and written to bench/results/edge.json and the
 * "Edge" section of bench/RESULTS.md:
 * - size of both CloudFront Function sources (limit 10 KB; target ≤ 6 KB for viewer-request);
 * - viewer-request execution time in the node:vm sandbox over 100,000 synthetic requests, KVS in memory;
 * - local edge throughput and p99 serving a 10 KB file, against a plain static server (sirv) on the
 *   same file, same load: bounded keep-alive requests from a child process, loopback only. For
 *   context also: bare node:http answering from memory (the ceiling of any Node server here) and
 *   the edge with its KVS read cache off (every request reads the emulator);
 * - promote / rollback latency: from the API call (the real promote / rollback routes through the
 *   local gateway) to the edge serving the other deployment's bytes. If the control plane cannot
 *   be driven, the switch is an EdgeStore.put and `promote_via` says so.
 * Everything runs against a private emulator that is stopped at the end.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import sirv from 'sirv';
import { createHash } from 'node:crypto';
import { blobKey } from '../functions/src/core/artifact-keys.ts';
import { compileBuildOutputConfig } from '../functions/src/core/routing/config.ts';
import { buildDeploymentIndex, deploymentIndexKey } from '../functions/src/core/routing/deployment-index.ts';
import { loadCloudFrontFunction, viewerRequestEvent, type CfEvent } from '../local/cloudfront-sandbox.ts';
import { createEdgeServer } from '../local/edge.ts';
import type { RouterFigures } from './router.ts';
import { freePort } from '../local/emulator.ts';
import { runLoad } from './load.ts';
import { startLocalAws, type LocalAws } from '../local/environment.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const VIEWER_REQUEST = path.join(ROOT, 'functions/src/edge/viewer-request.js');
const VIEWER_RESPONSE = path.join(ROOT, 'functions/src/edge/viewer-response.js');
const RESULTS_JSON = path.join(ROOT, 'bench/results/edge.json');
const RESULTS_MD = path.join(ROOT, 'bench/RESULTS.md');

const SANDBOX_REQUESTS = 100_000;
const LOAD = { requests: 20_000, warmup: 1_000, concurrency: 32, maxSeconds: 15 };
const SWITCH_ROUNDS = 5;
const FILE_BYTES = 10 * 1024;
/** Owner of the benchmark's blobs (`blobs/<team>/<sha>`). */
const BENCH_TEAM = 'team_bench';

await main();

async function main(): Promise<void> {
  const functionBytes = fs.statSync(VIEWER_REQUEST).size;
  const viewerResponseBytes = fs.statSync(VIEWER_RESPONSE).size;
  log(`viewer-request ${functionBytes} B, viewer-response ${viewerResponseBytes} B`);

  log(`viewer-request in the sandbox: ${SANDBOX_REQUESTS.toLocaleString('en')} synthetic requests…`);
  const usPerRequest = await sandboxSpeed();
  // The router alone (router-core's bench/router.ts): µs per request over a Next-sized table and a
  // plain static site. The pattern check is timed by `npm run bench:router`, not here.
  log('router µs per request (bench/router.ts)…');
  const { benchRouter } = await import('./router.ts');
  const router = await benchRouter({ requests: 20_000, checkPatterns: false });

  log('starting a private emulator…');
  const local = await startLocalAws({ port: await freePort(), mode: 'private' });
  // The handlers' EMF metrics and info logs would bury the table.
  Object.assign(process.env, local.env, { POWERTOOLS_METRICS_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'WARN' });
  const servers: http.Server[] = [];
  let staticDir: string | undefined;
  try {
    const seeded = await seed(local);
    const edge = await listen(createEdgeServer());
    servers.push(edge.server);
    staticDir = fs.mkdtempSync(path.join(os.tmpdir(), 'runway-bench-static-'));
    fs.writeFileSync(path.join(staticDir, 'ten-kb.txt'), seeded.file);
    const serve = sirv(staticDir, { dev: false, etag: true });
    const plain = await listen(http.createServer((req, res) => serve(req, res, () => void res.writeHead(404).end())));
    servers.push(plain.server);

    const raw = await listen(http.createServer((_req, res) => void res.writeHead(200, { 'content-type': 'text/plain' }).end(seeded.file)));
    servers.push(raw.server);
    const uncached = await listen(createEdgeServer({ kvsCacheMs: 0 }));
    servers.push(uncached.server);

    log(`load: ${LOAD.requests.toLocaleString('en')} keep-alive requests (≤ ${LOAD.maxSeconds} s), ${LOAD.concurrency} in flight, 10 KB file`);
    const file = { path: '/ten-kb.txt', expectBytes: FILE_BYTES };
    const edgeLoad = await runLoad({ port: edge.port, host: seeded.host, ...file }, LOAD);
    const staticLoad = await runLoad({ port: plain.port, host: 'localhost', ...file }, LOAD);
    const rawLoad = await runLoad({ port: raw.port, host: 'localhost', ...file }, LOAD);
    const uncachedLoad = await runLoad({ port: uncached.port, host: seeded.host, ...file }, LOAD);
    const errors = [edgeLoad, staticLoad, rawLoad, uncachedLoad].map((l) => l.errors);
    if (errors.some(Boolean)) throw new Error(`load errors (edge, static, raw, uncached): ${errors.join(', ')}`);

    log(`promote / rollback, ${SWITCH_ROUNDS} rounds each…`);
    const switching = await switchLatency(edge.port, seeded);

    const results = {
      function_bytes: functionBytes,
      viewer_response_bytes: viewerResponseBytes,
      us_per_request: round(usPerRequest, 2),
      router_next_sized: router.next_sized,
      router_static_site: router.static_site,
      edge_rps: Math.round(edgeLoad.rps),
      edge_p99_ms: round(edgeLoad.p99_ms, 2),
      static_rps: Math.round(staticLoad.rps),
      static_p99_ms: round(staticLoad.p99_ms, 2),
      throughput_ratio_vs_static: round(edgeLoad.rps / staticLoad.rps, 3),
      promote_ms: round(switching.promote, 1),
      rollback_ms: round(switching.rollback, 1),
      promote_via: switching.via,
      promote_call_ms: round(switching.promoteCall, 1),
      rollback_call_ms: round(switching.rollbackCall, 1),
      kvs_cache_ms: 250,
      edge_p50_ms: round(edgeLoad.p50_ms, 2),
      static_p50_ms: round(staticLoad.p50_ms, 2),
      raw_node_rps: Math.round(rawLoad.rps),
      raw_node_p99_ms: round(rawLoad.p99_ms, 2),
      edge_uncached_kvs_rps: Math.round(uncachedLoad.rps),
      edge_uncached_kvs_p99_ms: round(uncachedLoad.p99_ms, 2),
      load: {
        ...LOAD,
        file_bytes: FILE_BYTES,
        completed: { edge: edgeLoad.requests, static: staticLoad.requests, raw_node: rawLoad.requests, edge_uncached_kvs: uncachedLoad.requests },
      },
      machine: machine(),
      date: new Date().toISOString(),
    };
    report(results);
  } finally {
    await Promise.all(servers.map((s) => new Promise((r) => { s.closeAllConnections(); s.close(r); })));
    if (staticDir) fs.rmSync(staticDir, { recursive: true, force: true });
    await local.emulator.stop();
  }
}

/** Mean µs per viewer-request run over a warm, in-memory KVS with realistic hosts and paths. */
async function sandboxSpeed(): Promise<number> {
  const kvs = new Map<string, string>();
  for (let i = 0; i < 50; i++) kvs.set(`p${i}.localhost`, `dpl_${i}abcdef`);
  const fn = loadCloudFrontFunction(VIEWER_REQUEST, async (k) => kvs.get(k));
  const paths = ['/', '/about', '/about.html', '/docs/', '/assets/app.1a2b3c4d.js', '/old/a/b', '/app/x/y', '/%2e%2e/x', '/img/logo.svg', '/a//b.css'];
  const events: CfEvent[] = [];
  for (let i = 0; i < 1000; i++) {
    const host = i % 25 === 0 ? 'unknown.localhost' : `p${i % 50}.localhost`;
    events.push(viewerRequestEvent({ host, uri: paths[i % paths.length]!, querystring: i % 3 ? '' : 'a=1&b=2', headers: { 'user-agent': 'bench', accept: '*/*' } }));
  }
  for (let i = 0; i < 5_000; i++) await fn.handle(events[i % events.length]!);
  const started = process.hrtime.bigint();
  for (let i = 0; i < SANDBOX_REQUESTS; i++) await fn.handle(events[i % events.length]!);
  return Number(process.hrtime.bigint() - started) / 1000 / SANDBOX_REQUESTS;
}

interface Seeded {
  file: Buffer;
  host: string;
  a: { id: string; index: Buffer };
  b: { id: string; index: Buffer };
}

async function seed(local: LocalAws): Promise<Seeded> {
  const { EmulatorEdgeStore } = await import('../functions/src/adapters/edge-store/emulator.ts');
  const s3 = new S3Client({ forcePathStyle: true });
  const bucket = local.env.RUNWAY_ARTIFACT_BUCKET!;
  const file = Buffer.from(randomBytes(FILE_BYTES / 2).toString('hex'));
  const deployment = (label: string) => ({ id: `dpl_bench${label}${randomBytes(3).toString('hex')}`, index: Buffer.from(`<!doctype html><p>deployment ${label}</p>`) });
  const a = deployment('a');
  const b = deployment('b');
  await Promise.all([
    putDeployment(s3, bucket, a.id, { 'ten-kb.txt': file, 'index.html': a.index }),
    putDeployment(s3, bucket, b.id, { 'index.html': b.index }),
  ]);
  const host = 'bench.localhost';
  await new EmulatorEdgeStore().put(host, a.id);
  return { file, host, a, b };
}

/**
 * A deployment as finalize leaves it: the files as the team's blobs and its index (routes compiled
 * from a realistic runway.json, so the router does real work on every request).
 */
async function putDeployment(s3: S3Client, bucket: string, id: string, files: Record<string, Buffer>): Promise<void> {
  const manifest: Record<string, { sha: string; size: number; contentType: string }> = {};
  await Promise.all(
    Object.entries(files).map(([file, body]) => {
      const sha = createHash('sha256').update(body).digest('hex');
      manifest[file] = { sha, size: body.length, contentType: file.endsWith('.html') ? 'text/html; charset=utf-8' : 'text/plain; charset=utf-8' };
      return s3.send(new PutObjectCommand({ Bucket: bucket, Key: blobKey(BENCH_TEAM, sha), Body: body, ContentType: 'application/octet-stream' }));
    }),
  );
  const config = compileBuildOutputConfig({
    runwayJson: {
      cleanUrls: true,
      redirects: [{ source: '/old/:path*', destination: '/new/:path*' }],
      rewrites: [{ source: '/app/(.*)', destination: '/app/index.html' }],
      headers: [{ source: '/assets/(.*)', headers: [{ key: 'x-bench', value: '1' }] }],
    },
    files: Object.keys(files),
  });
  const index = buildDeploymentIndex({ deploymentId: id, teamId: BENCH_TEAM, manifest: { framework: 'static', files: manifest }, config });
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: deploymentIndexKey(id), Body: JSON.stringify(index), ContentType: 'application/json' }));
}

/**
 * Median ms from the switch call to the edge serving the other deployment's index.html. Through the
 * real promote / rollback API routes when the control plane can be driven locally; otherwise
 * EdgeStore.put (the same KVS write the routes end with).
 */
async function switchLatency(
  edgePort: number,
  seeded: Seeded,
): Promise<{ promote: number; rollback: number; promoteCall: number; rollbackCall: number; via: string }> {
  let api: Awaited<ReturnType<typeof controlPlane>> | undefined;
  try {
    api = await controlPlane(seeded);
  } catch (error) {
    log(`control plane not drivable (${(error as Error).message}); switching through EdgeStore.put instead`);
  }
  const { EmulatorEdgeStore } = await import('../functions/src/adapters/edge-store/emulator.ts');
  const store = new EmulatorEdgeStore();
  const host = api?.host ?? seeded.host;
  const promote = api ? api.promote : () => store.put(host, seeded.b.id);
  const rollback = api ? api.rollback : () => store.put(host, seeded.a.id);
  try {
    await waitForBytes(edgePort, host, seeded.a.index);
    const timed = async (call: () => Promise<void>, expected: Buffer) => {
      const started = performance.now();
      await call();
      const answered = performance.now();
      await waitForBytes(edgePort, host, expected);
      return { call: answered - started, total: performance.now() - started };
    };
    const promotes: Array<{ call: number; total: number }> = [];
    const rollbacks: Array<{ call: number; total: number }> = [];
    for (let i = 0; i < SWITCH_ROUNDS; i++) {
      promotes.push(await timed(promote, seeded.b.index));
      rollbacks.push(await timed(rollback, seeded.a.index));
    }
    return {
      promote: median(promotes.map((p) => p.total)),
      rollback: median(rollbacks.map((r) => r.total)),
      promoteCall: median(promotes.map((p) => p.call)),
      rollbackCall: median(rollbacks.map((r) => r.call)),
      via: api ? 'api' : 'edge-store',
    };
  } finally {
    await api?.close();
  }
}

/**
 * A team, token, project and two READY production deployments (A, B) in the emulator, the local
 * gateway in front of the real handlers, and A promoted. Returns calls of the real routes.
 */
async function controlPlane(seeded: Seeded) {
  // Imported only now: the domain code reads its configuration from the emulator's environment.
  const { override } = await import('../functions/src/core/context.ts');
  const { EmulatorEdgeStore } = await import('../functions/src/adapters/edge-store/emulator.ts');
  const { Team, Token } = await import('../functions/src/core/auth/index.ts').then(async (auth) => ({
    Token: auth.Token,
    Team: (await import('../functions/src/core/team/index.ts')).Team,
  }));
  const { Project } = await import('../functions/src/core/project/index.ts');
  const { Deployment } = await import('../functions/src/core/deployment/index.ts');
  const { productionHost } = await import('../functions/src/core/routing/hostnames.ts');
  const { createGateway } = await import('../local/gateway.ts');
  const { wire } = await import('../functions/src/lib/context.ts');
  const { dynamoDbRepositories } = await import('../functions/src/adapters/db/dynamodb/index.ts');
  wire(dynamoDbRepositories);

  const restore = override({ edgeStore: new EmulatorEdgeStore() });
  const gateway = await listen(createGateway());
  const close = async () => {
    restore();
    await new Promise((r) => { gateway.server.closeAllConnections(); gateway.server.close(r); });
  };
  try {
    const suffix = randomBytes(3).toString('hex');
    const { team } = await Team.ensure(`bench-edge-${suffix}`);
    const { secret } = await Token.create(team.id, { name: 'bench' }, 'owner');
    const project = await Project.create(team.id, { name: `bench-${suffix}` });
    const s3 = new S3Client({ forcePathStyle: true });
    const ready = async (index: Buffer) => {
      const created = await Deployment.create({
        teamId: team.id,
        project: { id: project.id, name: project.name },
        target: 'production',
        source: { type: 'git', provider: 'github', repo: 'runway/bench', sha: '0'.repeat(40) },
      });
      await putDeployment(s3, process.env.RUNWAY_ARTIFACT_BUCKET!, created.id, { 'index.html': index });
      await Deployment.transition(created.id, { from: ['QUEUED'], to: 'BUILDING' });
      return (await Deployment.transition(created.id, { from: ['BUILDING'], to: 'READY' })).id;
    };
    const a = await ready(seeded.a.index);
    const b = await ready(seeded.b.index);
    const call = async (route: 'promote' | 'rollback', deploymentId: string) => {
      const res = await fetch(`http://127.0.0.1:${gateway.port}/v1/projects/${project.name}/${route}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
        body: JSON.stringify({ deploymentId }),
      });
      if (res.status !== 200) throw new Error(`${route} answered ${res.status}: ${await res.text()}`);
    };
    await call('promote', a);
    return {
      host: productionHost(project.name, process.env.RUNWAY_PLATFORM_DOMAIN!),
      promote: () => call('promote', b),
      rollback: () => call('rollback', a),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

async function waitForBytes(port: number, host: string, expected: Buffer): Promise<void> {
  const deadline = performance.now() + 10_000;
  for (;;) {
    const body = await new Promise<Buffer>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: '/', headers: { host }, agent: false }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve(Buffer.concat(chunks)));
        })
        .on('error', reject);
    });
    if (body.equals(expected)) return;
    if (performance.now() > deadline) throw new Error(`${host} did not serve the expected bytes within 10 s`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function report(results: Record<string, unknown> & { machine: string; date: string }): void {
  const r = results as Record<string, number | string>;
  const rn = results.router_next_sized as RouterFigures;
  const rs = results.router_static_site as RouterFigures;
  const rows: Array<[string, string]> = [
    ['viewer-request source', `${r.function_bytes} B (limit 10,240, target ≤ 6,144)`],
    ['viewer-response source', `${r.viewer_response_bytes} B`],
    ['viewer-request in the sandbox', `${r.us_per_request} µs/request (${SANDBOX_REQUESTS.toLocaleString('en')} requests, warm in-memory KVS)`],
    ['router, Next-sized table', `p50 ${rn.p50_us} µs, p99 ${rn.p99_us} µs (${rn.routes} routes, ${rn.files} files)`],
    ['router, plain static site', `p50 ${rs.p50_us} µs, p99 ${rs.p99_us} µs (${rs.routes} routes, ${rs.files} files)`],
    ['local edge, 10 KB file', `${r.edge_rps} req/s, p50 ${r.edge_p50_ms} ms, p99 ${r.edge_p99_ms} ms`],
    ['static server (sirv), same file', `${r.static_rps} req/s, p50 ${r.static_p50_ms} ms, p99 ${r.static_p99_ms} ms`],
    ['throughput ratio edge / static', String(r.throughput_ratio_vs_static)],
    ['bare node:http from memory (ceiling)', `${r.raw_node_rps} req/s, p99 ${r.raw_node_p99_ms} ms`],
    ['local edge, KVS read cache off', `${r.edge_uncached_kvs_rps} req/s, p99 ${r.edge_uncached_kvs_p99_ms} ms`],
    [`promote → other bytes at the edge (${r.promote_via})`, `${r.promote_ms} ms (the call itself ${r.promote_call_ms} ms; median of ${SWITCH_ROUNDS})`],
    [`rollback → earlier bytes at the edge (${r.promote_via})`, `${r.rollback_ms} ms (the call itself ${r.rollback_call_ms} ms; median of ${SWITCH_ROUNDS})`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  process.stdout.write(`\n${rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')}\n\n`);

  fs.mkdirSync(path.dirname(RESULTS_JSON), { recursive: true });
  fs.writeFileSync(RESULTS_JSON, `${JSON.stringify(results, null, 2)}\n`);

  const section = [
    '## Edge',
    '',
    `\`npm run bench:edge\` — ${results.machine}, ${results.date.slice(0, 10)}. Raw figures: \`bench/results/edge.json\`.`,
    '',
    '| figure | value |',
    '|---|---|',
    ...rows.map(([k, v]) => `| ${k} | ${v} |`),
    '',
    `Load: ${LOAD.requests.toLocaleString('en')} keep-alive GETs after ${LOAD.warmup.toLocaleString('en')} warm-up, ${LOAD.concurrency} in flight, ` +
      'from a child process over loopback; both servers measured in the same run. The local edge runs both CloudFront ' +
      'Functions in node:vm and the router (origin-request, over the deployment index kept in memory) on every request, ' +
      "and keeps immutable blobs in memory after the first S3 read, as CloudFront's cache does; KVS reads are reused " +
      'for at most 250 ms, which bounds how stale a switch can be. ' +
      `Promote/rollback are timed from the ${results.promote_via === 'api' ? 'POST /v1/projects/{name}/promote|rollback call' : 'EdgeStore.put'} ` +
      'until the edge returns the other deployment\'s exact bytes.',
    '',
  ].join('\n');
  const current = fs.existsSync(RESULTS_MD) ? fs.readFileSync(RESULTS_MD, 'utf8') : '# Benchmark results\n\n';
  const start = current.search(/^## Edge\s*$/m);
  let next: string;
  if (start < 0) {
    next = `${current.trimEnd()}\n\n${section}`;
  } else {
    // The section ends at the next heading or at another bench's section marker, which it keeps.
    const after = current.slice(start + 1).search(/^(## |<!-- )/m);
    const end = after < 0 ? current.length : start + 1 + after;
    next = `${current.slice(0, start)}${section}${after < 0 ? '' : `\n${current.slice(end)}`}`;
  }
  fs.writeFileSync(RESULTS_MD, `${next.trimEnd()}\n`);
  log(`wrote ${path.relative(ROOT, RESULTS_JSON)} and the Edge section of ${path.relative(ROOT, RESULTS_MD)}`);
}

function machine(): string {
  return `${os.cpus().length} cores / ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}`;
}

async function listen(server: http.Server): Promise<{ server: http.Server; port: number }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function round(value: number, digits: number): number {
  return Number(value.toFixed(digits));
}

function log(message: string): void {
  process.stderr.write(`[bench:edge] ${message}\n`);
}
