/**
 * `npm run bench:api` — the control-plane API's figures (issue 3):
 * 1. list-deployments handler latency (in-process, against a private emulator seeded with 10,000
 *    deployments across 20 projects) at page 1 and at page 50 of one project, p50/p99 and their
 *    ratio, which must stay ≤ 1.5: a page costs the same at any depth;
 * 2. every deployable entry's bundle (esbuild exactly as the stacks bundle it: infra/lib/bundling.ts)
 *    in both SDK modes — the AWS SDK bundled, or left to the Lambda runtime — with its bytes and
 *    its module-init time in a fresh Node process (externals resolve from node_modules, as the
 *    runtime's own copy does). The Lambda functions must stay ≤ 512 KB in the mode the stacks use.
 * Prints a table, writes bench/results/api.json and refreshes the section in bench/RESULTS.md.
 */
import { writeResultsSection } from './results-md.ts';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { MAX_BUNDLE_BYTES, SDK_MODE, type SdkMode } from '../infra/lib/bundling.ts';
import { freePort } from '../local/emulator.ts';
import { bundleAll, bundleDir } from './bundles.ts';
import { startLocalAws } from '../local/environment.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PROJECTS = 20;
const DEPLOYMENTS = 10_000;
/** Deployments of the measured project (page 50 needs > 1,000); the rest spread over the other 19. */
const MEASURED_PROJECT_DEPLOYMENTS = 2_400;
const PAGE_SIZE = 20;
const DEEP_PAGE = 50;
const SAMPLES = 200;
const WARMUP = 10;
const INIT_RUNS = 7;
const MAX_RATIO = 1.5;
const SDK_MODES: SdkMode[] = ['bundled', 'external'];

const log = (message: string) => process.stderr.write(`[bench:api] ${message}\n`);

/** 1-minute load average when the run started: the machine may be shared, and timings with it. */
const LOAD_AT_START = os.loadavg()[0] as number;

async function main(): Promise<void> {
  // A port of its own: nothing else (npm start, a test run) can reuse or stop this emulator.
  const local = await startLocalAws({ port: await freePort(), mode: 'private' });
  try {
    // No per-token limit: the benchmark itself would trip it.
    Object.assign(process.env, local.env, { RUNWAY_RATE_LIMIT_PER_MINUTE: '100000000' });
    log(`emulator at ${local.emulator.endpoint}; seeding ${DEPLOYMENTS} deployments across ${PROJECTS} projects…`);
    const seeded = await seed();
    log(`seeded in ${(seeded.ms / 1000).toFixed(1)} s; measuring list-deployments…`);
    const latency = await measureList(seeded);
    log('bundling handlers…');
    const bundles = await measureBundles(local.env);
    report(latency, bundles, seeded.ms);
  } finally {
    await local.emulator.stop();
  }
}

interface Seeded {
  token: string;
  projectId: string;
  ms: number;
}

async function seed(): Promise<Seeded> {
  const started = performance.now();
  const { Team } = await import('../functions/src/core/team/index.ts');
  const { Token } = await import('../functions/src/core/auth/index.ts');
  const { Project } = await import('../functions/src/core/project/index.ts');
  const { db } = await import('../functions/src/adapters/db/dynamodb/model.ts');
  const { newId, shortIdOf } = await import('../functions/src/core/ids.ts');
  const { wire } = await import('../functions/src/lib/context.ts');
  const { dynamoDbRepositories } = await import('../functions/src/adapters/db/dynamodb/index.ts');
  wire(dynamoDbRepositories);
  const team = await Team.create('bench');
  const { secret } = await Token.create(team.id, { name: 'bench', role: 'viewer' }, 'owner');
  const projects: Array<{ id: string; name: string }> = [];
  for (let i = 0; i < PROJECTS; i++) projects.push(await Project.create(team.id, { name: `bench-${i}` }));
  const base = Date.parse('2026-01-01T00:00:00Z');
  const items = Array.from({ length: DEPLOYMENTS }, (_, i) => {
    const project = (i < MEASURED_PROJECT_DEPLOYMENTS ? projects[0] : projects[1 + (i % (PROJECTS - 1))]) as { id: string; name: string };
    const id = newId('dpl');
    return {
      id,
      shortId: shortIdOf(id),
      teamId: team.id,
      projectId: project.id,
      projectName: project.name,
      target: i % 10 === 0 ? ('production' as const) : ('preview' as const),
      state: i % 13 === 0 ? ('ERROR' as const) : ('READY' as const),
      branch: i % 10 === 0 ? 'main' : `feature-${i % 37}`,
      source: { type: 'files', fileCount: 12, totalBytes: 48_213, filesSha: 'f'.repeat(64) },
      url: `${project.name}-${shortIdOf(id)}.localhost`,
      // Interleaved in time, so the measured project's items sit among everyone else's.
      createdAt: new Date(base + ((i * 7919) % DEPLOYMENTS) * 1000).toISOString(),
      readyAt: new Date(base + i * 1000 + 30_000).toISOString(),
      version: 3,
    };
  });
  // BatchWriteItem through the same entity, 25 items a call, several calls in flight.
  const { unprocessed } = await db().entities.deployment.put(items).go({ concurrency: 8 });
  if (unprocessed.length > 0) throw new Error(`${unprocessed.length} deployments were not written`);
  return { token: secret, projectId: (projects[0] as { id: string }).id, ms: performance.now() - started };
}

interface Latency {
  page1: number[];
  page50: number[];
}

async function measureList(seeded: Seeded): Promise<Latency> {
  const { handler } = (await import('../functions/src/handlers/http/deployments.ts')) as {
    handler: (e: APIGatewayProxyEventV2, c: Context) => Promise<APIGatewayProxyStructuredResultV2>;
  };
  const call = async (cursor?: string) => {
    const query: Record<string, string> = { projectId: seeded.projectId, limit: String(PAGE_SIZE), ...(cursor ? { cursor } : {}) };
    const started = performance.now();
    const res = await handler(listEvent(seeded.token, query), context);
    const ms = performance.now() - started;
    if (res.statusCode !== 200) throw new Error(`list answered ${res.statusCode}: ${res.body}`);
    return { ms, body: JSON.parse(res.body as string) as { items: unknown[]; next: string | null } };
  };
  // Powertools writes an EMF line per invocation to stdout; keep the terminal for the report.
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    let cursor: string | undefined;
    for (let page = 1; page < DEEP_PAGE; page++) {
      const { body } = await call(cursor);
      if (body.items.length !== PAGE_SIZE || !body.next) throw new Error(`page ${page} is short`);
      cursor = body.next;
    }
    const deep = cursor as string;
    for (let i = 0; i < WARMUP; i++) {
      await call();
      await call(deep);
    }
    const page1: number[] = [];
    const page50: number[] = [];
    // Alternate, so drift in the emulator affects both alike.
    for (let i = 0; i < SAMPLES; i++) {
      page1.push((await call()).ms);
      const { ms, body } = await call(deep);
      if (body.items.length !== PAGE_SIZE) throw new Error('page 50 is short');
      page50.push(ms);
    }
    return { page1, page50 };
  } finally {
    process.stdout.write = write;
  }
}

function listEvent(token: string, query: Record<string, string>): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: 'GET /v1/deployments',
    rawPath: '/v1/deployments',
    rawQueryString: new URLSearchParams(query).toString(),
    headers: { authorization: `Bearer ${token}` },
    queryStringParameters: query,
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'bench',
      domainName: 'bench',
      domainPrefix: 'bench',
      http: { method: 'GET', path: '/v1/deployments', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'bench' },
      requestId: 'bench',
      routeKey: 'GET /v1/deployments',
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
    },
  };
}

const context = {
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'bench',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:bench',
  memoryLimitInMB: '512',
  awsRequestId: 'bench',
  logGroupName: '/aws/lambda/bench',
  logStreamName: 'bench',
  getRemainingTimeInMillis: () => 10_000,
  done: () => {},
  fail: () => {},
  succeed: () => {},
} as Context;

interface Bundle {
  name: string;
  kind: string;
  modes: Record<SdkMode, { bytes: number; init_ms: number }>;
  /** Largest packages in the bundle of the mode the stacks use, bytes. */
  top: Record<string, number>;
}

/** Bundles every deployable entry in both SDK modes, then times each bundle's import in fresh processes. */
async function measureBundles(env: Record<string, string>): Promise<Bundle[]> {
  const dir = bundleDir();
  try {
    const byMode = Object.fromEntries(await Promise.all(SDK_MODES.map(async (mode) => [mode, await bundleAll(dir, mode)] as const))) as Record<SdkMode, Awaited<ReturnType<typeof bundleAll>>>;
    return byMode[SDK_MODE].map((chosen, i) => {
      const modes = Object.fromEntries(
        SDK_MODES.map((mode) => {
          const figures = byMode[mode][i]!;
          return [mode, { bytes: figures.bytes, init_ms: initTime(figures.file, env) }];
        }),
      ) as Bundle['modes'];
      return { name: chosen.entry.name, kind: chosen.entry.kind, modes, top: chosen.top };
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Median time to import the bundle (module init, as in a cold start) in a fresh Node process. */
function initTime(file: string, env: Record<string, string>): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(`file://${file}`)}); process.stdout.write(String(performance.now() - t));`;
  const runs: number[] = [];
  for (let i = 0; i < INIT_RUNS; i++) {
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { PATH: process.env.PATH, ...env, AWS_LAMBDA_FUNCTION_NAME: 'bench', POWERTOOLS_SERVICE_NAME: 'bench' },
      encoding: 'utf8',
    });
    if (run.status !== 0) throw new Error(`importing ${file} failed: ${run.stderr}`);
    runs.push(Number(run.stdout));
  }
  return round(percentile(runs, 50));
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

const round = (n: number, digits = 2) => Number(n.toFixed(digits));

function report(latency: Latency, bundles: Bundle[], seedMs: number): void {
  const figures = {
    page1_p50_ms: round(percentile(latency.page1, 50)),
    page1_p99_ms: round(percentile(latency.page1, 99)),
    page50_p50_ms: round(percentile(latency.page50, 50)),
    page50_p99_ms: round(percentile(latency.page50, 99)),
  };
  const ratio = round(figures.page50_p50_ms / figures.page1_p50_ms, 3);
  const lambdas = bundles.filter((b) => b.kind !== 'codebuild');
  const maxBundle = Math.max(...lambdas.map((b) => b.modes[SDK_MODE].bytes));
  const over = lambdas.filter((b) => b.modes[SDK_MODE].bytes > MAX_BUNDLE_BYTES).map((b) => b.name);
  const sum = (mode: SdkMode, key: 'bytes' | 'init_ms') => lambdas.reduce((n, b) => n + b.modes[mode][key], 0);
  const results = {
    date: new Date().toISOString(),
    node: process.version,
    machine: { cpus: os.cpus().length, memory_gib: Math.round(os.totalmem() / 2 ** 30) },
    deployments: DEPLOYMENTS,
    projects: PROJECTS,
    measured_project_deployments: MEASURED_PROJECT_DEPLOYMENTS,
    page_size: PAGE_SIZE,
    samples: SAMPLES,
    seed_ms: Math.round(seedMs),
    ...figures,
    page50_over_page1: ratio,
    page50_over_page1_ok: ratio <= MAX_RATIO,
    load_average_1m: { start: round(LOAD_AT_START), end: round(os.loadavg()[0] as number) },
    sdk_mode: SDK_MODE,
    max_bundle_bytes: maxBundle,
    bundle_limit_bytes: MAX_BUNDLE_BYTES,
    bundles_over_limit: over,
    total_lambda_init_ms: Object.fromEntries(SDK_MODES.map((mode) => [mode, round(sum(mode, 'init_ms'))])),
    bundles: Object.fromEntries(bundles.map((b) => [b.name, { kind: b.kind, ...b.modes, top_packages: b.top }])),
  };
  fs.mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
  fs.writeFileSync(path.join(ROOT, 'bench/results/api.json'), `${JSON.stringify(results, null, 2)}\n`);

  const kb = (n: number) => `${(n / 1024).toFixed(0)} KB`;
  const lines = [
    `Load average (1 min) at start / end: ${round(LOAD_AT_START)} / ${round(os.loadavg()[0] as number)} on ${os.cpus().length} cores${os.loadavg()[0]! > os.cpus().length ? ' — the machine was shared while measuring: timings are noisy' : ''}.`,
    '',
    `list-deployments of one project (${MEASURED_PROJECT_DEPLOYMENTS} of its deployments; ${DEPLOYMENTS} across ${PROJECTS} projects in the table), limit ${PAGE_SIZE}, ${SAMPLES} samples each:`,
    '',
    '| page | p50 ms | p99 ms |',
    '|---|---|---|',
    `| 1 | ${figures.page1_p50_ms} | ${figures.page1_p99_ms} |`,
    `| ${DEEP_PAGE} (by cursor) | ${figures.page50_p50_ms} | ${figures.page50_p99_ms} |`,
    '',
    `page ${DEEP_PAGE} / page 1 (p50): **${ratio}** (must be ≤ ${MAX_RATIO}: ${ratio <= MAX_RATIO ? 'ok' : 'FAILED'})`,
    '',
    `Every deployable entry bundled as the stacks bundle it (esbuild ESM, minified, infra/lib/bundling.ts), in both SDK modes; module init = median of ${INIT_RUNS} fresh Node processes importing the bundle (external packages from node_modules, as from the runtime's copy). The stacks use **${SDK_MODE}**; Lambda bundles must stay ≤ ${kb(MAX_BUNDLE_BYTES)}:`,
    '',
    '| entry | runs on | SDK bundled | init ms | SDK external | init ms | largest parts (' + SDK_MODE + ') |',
    '|---|---|---|---|---|---|---|',
    ...bundles.map(
      (b) =>
        `| ${b.name} | ${b.kind} | ${kb(b.modes.bundled.bytes)} | ${b.modes.bundled.init_ms} | ${kb(b.modes.external.bytes)} | ${b.modes.external.init_ms} | ${Object.entries(b.top)
          .slice(0, 3)
          .map(([p, n]) => `${p} ${kb(n)}`)
          .join(', ')} |`,
    ),
    '',
    `Lambda functions (${lambdas.length}), all together: SDK bundled ${kb(sum('bundled', 'bytes'))}, init ${round(sum('bundled', 'init_ms'))} ms; SDK external ${kb(sum('external', 'bytes'))}, init ${round(sum('external', 'init_ms'))} ms.`,
    `max Lambda bundle (${SDK_MODE}): ${kb(maxBundle)} (limit ${kb(MAX_BUNDLE_BYTES)}: ${over.length === 0 ? 'ok' : `OVER: ${over.join(', ')}`}); the builder runs in CodeBuild and is not limited.`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  writeResultsSection('api', 'API (`npm run bench:api`)', lines, results.date);
  if (ratio > MAX_RATIO || over.length > 0) process.exitCode = 1;
}

main().catch((error) => {
  process.stderr.write(`[bench:api] failed: ${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
