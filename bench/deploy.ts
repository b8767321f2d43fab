/**
 * `npm run bench:deploy` — the upload protocol at scale, against a private emulator:
 * 1. deploy a generated static site of 5,000 files (~50 MB) through the upload protocol;
 * 2. change one file and deploy again: what is uploaded (by the client and by the build);
 * 3. the same redeploy with `aws s3 sync` of the rebuilt output over the previous build;
 * 4. platform overhead of a small deployment: create → READY minus the build's own install+build;
 * 5. the build cache: a lockfile-less Vite template (the fake GitHub's hello-vite seed without its
 *    package-lock.json, real packages from the npm registry) built twice in one project — the
 *    first install cold, the second with the cache restored.
 * Prints a table and writes bench/results/deploy.json. `BENCH_SECTIONS=cache` runs section 5
 * alone and updates only its figures in that file; `BENCH_SECTIONS=redeploy` runs sections 1–2
 * alone (the 5,000-file redeploy: create → READY, with where its time goes) and updates theirs.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pLimit from 'p-limit';
import { EMULATOR_AWS_ENV, freePort, startMoto } from '../local/emulator.ts';
import { startLocalAws } from '../local/environment.ts';

const execFileAsync = promisify(execFile);
/** Site size; BENCH_FILES makes a quick smoke run of the script itself. */
const FILES = Number(process.env.BENCH_FILES ?? 5000);
const AVG_BYTES = 10_000;
const ONLY_CACHE = process.env.BENCH_SECTIONS === 'cache';
const ONLY_REDEPLOY = process.env.BENCH_SECTIONS === 'redeploy';
const RESULTS_FILE = 'bench/results/deploy.json';

const local = await startLocalAws({ port: await freePort(), mode: 'private' });
Object.assign(process.env, local.env);
// One CLI deploy of 5,000 files is 5,000 uploads: far above the per-token API limit meant for
// scripts gone wrong, so the benchmark's token gets a limit that measures uploads, not the limiter.
process.env.RUNWAY_RATE_LIMIT_PER_MINUTE = '1000000';
// Imported after the environment is set: the handlers read it once. The benchmark seeds through
// the domain too, wired to the emulator as the tests are.
await import('../tests/support/aws-context.ts');
const { newTeam, sha256 } = await import('../tests/integration/api/harness.ts');
const { startPlatform, buildResult, expectReady, readTree } = await import('../tests/integration/builds/platform.ts');

const platform = await startPlatform();
if (ONLY_CACHE) {
  try {
    const cache = await buildCacheColdWarm(platform.client((await newTeam()).tokens.owner));
    console.table(cache);
    const previous = fs.existsSync(RESULTS_FILE) ? JSON.parse(fs.readFileSync(RESULTS_FILE, 'utf8')) : {};
    fs.mkdirSync('bench/results', { recursive: true });
    fs.writeFileSync(RESULTS_FILE, `${JSON.stringify({ ...previous, ...cache, cache_date: new Date().toISOString() }, null, 2)}\n`);
  } finally {
    await platform.close();
    await local.emulator.stop();
  }
  process.exit(0);
}
try {
  const team = await newTeam();
  const c = platform.client(team.tokens.owner);
  const project = `bench-${Date.now().toString(36)}`;
  await c.post('/v1/projects', { name: project });

  const siteDir = fs.mkdtempSync(path.join(os.tmpdir(), 'runway-bench-site-'));
  const site = generateSite(siteDir);
  const totalBytes = Object.values(site).reduce((n, b) => n + b.length, 0);

  const first = await deployTimed(c, project, site);
  // One changed file, everything else byte-identical.
  const changed = { ...site, 'page-00042.html': Buffer.from(`<h1>changed ${Date.now()}</h1>`) };
  const second = await deployTimed(c, project, changed);
  const { uploadedFiles, uploadedBytes, durationsMs } = await buildResult(c, second.deploymentId);
  const builder = { files: uploadedFiles as number, bytes: uploadedBytes as number };
  // Where the redeploy's create → READY goes: the build's steps (its own log), the rest is the
  // upload protocol, scheduling, starting the build and finalize (which writes one index object).
  const steps = durationsMs as Record<string, number>;
  const stepsTotal = Object.values(steps).reduce((n, ms) => n + ms, 0);
  const redeploy = {
    machine: `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    redeploy_date: new Date().toISOString(),
    site_files: Object.keys(site).length,
    site_bytes: totalBytes,
    first_files_uploaded: first.uploadedFiles,
    first_bytes_uploaded: first.uploadedBytes,
    first_wall_ms: first.wallMs,
    redeploy_files_uploaded_by_client: second.uploadedFiles,
    redeploy_blobs_uploaded_by_build: builder.files,
    redeploy_objects_uploaded: second.uploadedFiles + builder.files + 1,
    redeploy_bytes_uploaded: second.uploadedBytes + builder.bytes,
    redeploy_wall_ms: second.wallMs,
    redeploy_build_steps_ms: steps,
    redeploy_outside_build_steps_ms: second.wallMs - stepsTotal,
  };
  if (ONLY_REDEPLOY) {
    console.table({ ...redeploy, redeploy_build_steps_ms: JSON.stringify(steps) });
    if (FILES === 5000) {
      const previous = fs.existsSync(RESULTS_FILE) ? JSON.parse(fs.readFileSync(RESULTS_FILE, 'utf8')) : {};
      fs.mkdirSync('bench/results', { recursive: true });
      fs.writeFileSync(RESULTS_FILE, `${JSON.stringify({ ...previous, ...redeploy }, null, 2)}\n`);
    }
    fs.rmSync(siteDir, { recursive: true, force: true });
    process.exitCode = 0;
  } else {

  // aws s3 sync of the rebuilt output over the previous build, in an emulator of its own (the
  // platform's holds three copies of the site by now). A rebuild rewrites every output file (new
  // mtimes), which is what sync compares besides size.
  const synced = await syncComparison(siteDir, site, changed);

  const overhead = await smallDeploymentOverhead(c);
  const cache = await buildCacheColdWarm(c);

  const results = {
    date: new Date().toISOString(),
    ...redeploy,
    s3sync_objects_uploaded: synced.objects,
    s3sync_bytes_uploaded: synced.bytes,
    s3sync_wall_ms: synced.wallMs,
    s3sync_over_runway_bytes: +(synced.bytes / Math.max(1, second.uploadedBytes + builder.bytes)).toFixed(1),
    overhead_ms: overhead.overheadMs,
    overhead_create_to_ready_ms: overhead.totalMs,
    overhead_build_command_ms: overhead.buildMs,
    ...cache,
  };
  console.table(results);
  if (FILES === 5000) {
    fs.mkdirSync('bench/results', { recursive: true });
    fs.writeFileSync(RESULTS_FILE, `${JSON.stringify(results, null, 2)}\n`);
  }
  fs.rmSync(siteDir, { recursive: true, force: true });
  }
} finally {
  await platform.close();
  await local.emulator.stop();
}

/**
 * Section 5. Another project deploys the same files first, so both measured builds find every
 * source file uploaded (the cache is per project: the measured project's first build is cold).
 * `install` is the builder's install step, cache restore included.
 */
async function buildCacheColdWarm(c: Client) {
  const files = readTree(path.resolve(import.meta.dirname, '../local/fake-github-seed/hello-vite'));
  delete files['package-lock.json'];
  const upload = `vite-up-${Date.now().toString(36)}`;
  await c.post('/v1/projects', { name: upload });
  await deployTimed(c, upload, files);
  const project = `vite-${Date.now().toString(36)}`;
  await c.post('/v1/projects', { name: project });
  const list = Object.entries(files).map(([file, b]) => ({ file, sha: sha256(b), size: b.length }));
  const run = async () => {
    const started = performance.now();
    const res = await c.post('/v1/deployments', { project, target: 'preview', files: list });
    if (res.status !== 201) throw new Error(`create failed: ${res.status} ${res.text}`);
    await expectReady(c, res.body.id, 600_000);
    const createToReadyMs = Math.round(performance.now() - started);
    const result = await buildResult(c, res.body.id);
    return { createToReadyMs, installMs: result.durationsMs.install as number, buildMs: result.durationsMs.build as number, cache: result.cache, projectId: res.body.projectId as string };
  };
  const { HeadObjectCommand } = await import('@aws-sdk/client-s3');
  const { s3Client } = await import('../functions/src/adapters/aws/clients.ts');
  const { buildCacheKey } = await import('../functions/src/core/artifact-keys.ts');
  // 0: no entry (a build with no framework cache directory stores none).
  const archiveBytes = async (projectId: string, key: string) =>
    s3Client()
      .send(new HeadObjectCommand({ Bucket: process.env.RUNWAY_ARTIFACT_BUCKET, Key: buildCacheKey(projectId, key) }))
      .then((head) => head.ContentLength ?? 0, () => 0);
  const cold = await run();
  const warm = await run();
  if (cold.cache.restored || !warm.cache.installSkipped) throw new Error(`unexpected cache state: cold ${JSON.stringify(cold.cache)}, warm ${JSON.stringify(warm.cache)}`);
  return {
    cache_fixture: 'hello-vite without package-lock.json (npm install)',
    cache_cold_install_ms: cold.installMs,
    cache_warm_install_ms: warm.installMs,
    cache_warm_restore_ms: warm.cache.restoreMs as number,
    cache_warm_install_skipped: warm.cache.installSkipped as boolean,
    cache_cold_build_ms: cold.buildMs,
    cache_warm_build_ms: warm.buildMs,
    cache_cold_create_to_ready_ms: cold.createToReadyMs,
    cache_warm_create_to_ready_ms: warm.createToReadyMs,
    cache_warm_over_cold_install: +(warm.installMs / cold.installMs).toFixed(2),
    cache_node_modules_archive_bytes: await archiveBytes(cold.projectId, cold.cache.key),
    cache_framework_archive_bytes: await archiveBytes(cold.projectId, cold.cache.frameworkKey),
  };
}

/** 5,000 text files of random content, ~10 KB on average, under a few directories. */
function generateSite(dir: string): Record<string, Buffer> {
  const files: Record<string, Buffer> = {};
  for (let i = 0; i < FILES; i++) {
    const name = i % 5 === 0 ? `page-${String(i).padStart(5, '0')}.html` : `assets/${i % 7}/file-${i}.${['css', 'js', 'svg', 'json'][i % 4]}`;
    const size = Math.round(AVG_BYTES * (0.5 + ((i * 7919) % 1000) / 1000));
    files[name] = Buffer.from(randomBytes(Math.ceil(size / 2)).toString('hex').slice(0, size));
  }
  files['index.html'] = Buffer.from('<h1>bench</h1>');
  writeTree(dir, files);
  return files;
}

function writeTree(dir: string, files: Record<string, Buffer>): void {
  for (const [name, bytes] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), bytes);
  }
}

type Client = ReturnType<typeof platform.client>;

/** The upload protocol as a CLI runs it: ask, upload what is missing (16 at a time), ask again. */
async function deployTimed(c: Client, project: string, files: Record<string, Buffer>) {
  const started = performance.now();
  const list = Object.entries(files).map(([file, bytes]) => ({ file, sha: sha256(bytes), size: bytes.length }));
  const body = { project, target: 'production', files: list };
  let res = await c.post('/v1/deployments', body);
  let uploadedFiles = 0;
  let uploadedBytes = 0;
  if (res.status === 400 && res.body.error.code === 'missing_files') {
    const missing = new Set<string>(res.body.error.missing);
    const limit = pLimit(16);
    const bySha = new Map(Object.values(files).map((b) => [sha256(b), b]));
    await Promise.all(
      [...missing].map((sha) =>
        limit(async () => {
          const bytes = bySha.get(sha)!;
          const up = await c.request('POST', '/v1/files', { raw: bytes, headers: { 'content-type': 'application/octet-stream', 'x-runway-digest': `sha256=${sha}` } });
          if (up.status !== 200) throw new Error(`upload failed: ${up.status} ${up.text}`);
          uploadedFiles++;
          uploadedBytes += bytes.length;
        }),
      ),
    );
    res = await c.post('/v1/deployments', body);
  }
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${res.text}`);
  await expectReady(c, res.body.id, 900_000);
  return { deploymentId: res.body.id as string, uploadedFiles, uploadedBytes, wallMs: Math.round(performance.now() - started) };
}

/** Seeds a prefix with the previous build by `aws s3 sync`, then syncs the rebuilt output over it. */
async function syncComparison(dir: string, previous: Record<string, Buffer>, rebuilt: Record<string, Buffer>) {
  const emulator = await startMoto(await freePort());
  // Path-style addressing: the emulator has no virtual-host DNS (bucket.localhost does not resolve).
  const configFile = path.join(os.tmpdir(), `runway-bench-aws-${process.pid}`);
  fs.writeFileSync(configFile, '[default]\ns3 =\n  addressing_style = path\n');
  const env = { PATH: process.env.PATH, HOME: os.tmpdir(), ...EMULATOR_AWS_ENV, AWS_CONFIG_FILE: configFile };
  // Asynchronous on purpose: moto logs every request to the stderr pipe this process drains, so
  // blocking the event loop (spawnSync) would fill that pipe and stall the emulator.
  const aws = async (...args: string[]) => {
    const { stdout } = await execFileAsync('aws', [...args, '--endpoint-url', emulator.endpoint], { encoding: 'utf8', env, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  };
  try {
    await aws('s3', 'mb', 's3://previous-build');
    writeTree(dir, previous);
    await aws('s3', 'sync', dir, 's3://previous-build/site', '--no-progress');
    writeTree(dir, rebuilt);
    const started = performance.now();
    const uploads = (await aws('s3', 'sync', dir, 's3://previous-build/site', '--no-progress')).split('\n').filter((l) => l.startsWith('upload: '));
    const wallMs = Math.round(performance.now() - started);
    const bytes = uploads.reduce((n, line) => n + fs.statSync(line.slice('upload: '.length, line.indexOf(' to s3://'))).size, 0);
    return { objects: uploads.length, bytes, wallMs };
  } finally {
    fs.rmSync(configFile, { force: true });
    await emulator.stop();
  }
}

/** A small site with a real build script: create → READY, minus the build's own install+build time. */
async function smallDeploymentOverhead(c: Client) {
  const project = `small-${Date.now().toString(36)}`;
  await c.post('/v1/projects', { name: project });
  const files = {
    'package.json': Buffer.from(JSON.stringify({ name: 'small', private: true, scripts: { build: 'node build.mjs' } })),
    'build.mjs': Buffer.from("import fs from 'node:fs'; fs.mkdirSync('dist'); fs.writeFileSync('dist/index.html', '<h1>small</h1>');"),
  };
  // Upload first so the measured window is create → READY only.
  await deployTimed(c, project, files);
  const started = performance.now();
  const res = await c.post('/v1/deployments', { project, target: 'preview', files: Object.entries(files).map(([file, b]) => ({ file, sha: sha256(b), size: b.length })) });
  await expectReady(c, res.body.id);
  const totalMs = Math.round(performance.now() - started);
  const { durationsMs } = await buildResult(c, res.body.id);
  const buildMs = (durationsMs.install ?? 0) + (durationsMs.build ?? 0);
  return { totalMs, buildMs, overheadMs: totalMs - buildMs };
}
