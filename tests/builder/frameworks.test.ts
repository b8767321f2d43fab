/**
 * Real builds of every framework fixture through the real pipeline with the fs-store adapters:
 * real `npm ci` from the registry, real framework builds, then a second build of each fixture
 * with the cache restored. Install timings are printed at the end (and written to
 * $RUNWAY_BUILDER_TIMINGS when set).
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsStore } from '../../functions/src/builder/adapters/fs-store.ts';
import { parseJob } from '../../functions/src/builder/job.ts';
import { Logger, MemorySink, Redactor, sensitiveValues } from '../../functions/src/builder/log.ts';
import { BuildStepError, type PipelineResult, runPipeline } from '../../functions/src/builder/pipeline.ts';
import { copyFixture, tempDir } from '../unit/builder/helpers.ts';

interface Case {
  fixture: string;
  framework: string;
  outputDirectory: string;
  /** Paths the manifest must list; a RegExp matches at least one path. */
  expected: Array<string | RegExp>;
  /** Next.js stamps each build with a random build id, so a rebuild has new files. */
  reproducible?: false;
}

const CASES: Case[] = [
  { fixture: 'static', framework: 'static', outputDirectory: '.', expected: ['index.html', 'about.html', '404.html', 'css/style.css'] },
  { fixture: 'vite-react', framework: 'vite', outputDirectory: 'dist', expected: ['index.html', /^assets\/index-[\w-]+\.js$/] },
  { fixture: 'vite-vue', framework: 'vite', outputDirectory: 'dist', expected: ['index.html', /^assets\/index-[\w-]+\.js$/] },
  { fixture: 'vite-svelte', framework: 'vite', outputDirectory: 'dist', expected: ['index.html', /^assets\/index-[\w-]+\.js$/] },
  { fixture: 'astro', framework: 'astro', outputDirectory: 'dist', expected: ['index.html', 'about/index.html'] },
  { fixture: 'next-export', framework: 'nextjs', outputDirectory: 'out', expected: ['index.html', '404.html', /^_next\/static\/.+\.js$/], reproducible: false },
  { fixture: 'eleventy', framework: 'eleventy', outputDirectory: '_site', expected: ['index.html', 'about/index.html'] },
  { fixture: 'build-script', framework: 'build-script', outputDirectory: 'build', expected: ['index.html', 'assets/app.js'] },
];

const SECRET = 'fixture-secret-7f3a9c1e';
const timings: Array<Record<string, string | number | undefined>> = [];

let root: string;
let cleanup: () => Promise<void>;
let store: FsStore;

beforeAll(async () => {
  ({ dir: root, cleanup } = await tempDir('runway-builder-slow-'));
  store = new FsStore(path.join(root, 'store'));
});

afterAll(async () => {
  console.table(timings);
  if (process.env.RUNWAY_BUILDER_TIMINGS) await writeFile(process.env.RUNWAY_BUILDER_TIMINGS, JSON.stringify(timings, null, 2));
  await cleanup();
});

async function build(fixture: string, run: string, extra: { env?: Record<string, string>; sensitiveKeys?: string[] } = {}) {
  const project = await copyFixture(fixture, path.join(root, 'fixtures', `${fixture}-${run}`));
  const source = await store.importSource(project);
  const job = parseJob({
    deploymentId: `dpl_${fixture}_${run}`.replaceAll(/[^A-Za-z0-9_-]/g, '_'),
    projectId: `prj_${fixture}`.replaceAll(/[^A-Za-z0-9_-]/g, '_'),
    source,
    cacheKey: `prj_${fixture}`,
    ...extra,
  });
  const sink = new MemorySink();
  const log = new Logger({ sink, redactor: new Redactor(sensitiveValues(job.env, job.sensitiveKeys)) });
  const workDir = path.join(root, 'work', `${fixture}-${run}`);
  try {
    const result = await runPipeline(job, { source: store, blobs: store, cache: store, log }, { workDir });
    return { result, sink, workDir };
  } catch (error) {
    // Show what the build printed, or a failure here says nothing.
    console.error(sink.lines.slice(-60).join('\n'));
    throw error;
  }
}

async function assertOutput(result: PipelineResult, workDir: string, testCase: Case): Promise<void> {
  expect(result.plan.framework).toBe(testCase.framework);
  expect(result.outputDirectory).toBe(testCase.outputDirectory);
  const paths = Object.keys(result.manifest.files);
  for (const expected of testCase.expected) {
    if (typeof expected === 'string') expect(paths).toContain(expected);
    else expect(paths.some((p) => expected.test(p)), `${expected} in ${paths.join(', ')}`).toBe(true);
  }
  expect(JSON.parse(await readFile(store.manifestPath(result.deploymentId), 'utf8'))).toEqual(result.manifest);
  const outputDir = path.join(workDir, 'src', testCase.outputDirectory);
  for (const [file, entry] of Object.entries(result.manifest.files)) {
    const built = await readFile(path.join(outputDir, file));
    const blob = await readFile(store.blobPath(entry.sha));
    const digest = createHash('sha256').update(built).digest('hex');
    expect(digest, file).toBe(entry.sha);
    expect(createHash('sha256').update(blob).digest('hex'), `blob of ${file}`).toBe(entry.sha);
    expect(entry.size).toBe(built.length);
  }
}

describe.each(CASES)('$fixture', (testCase) => {
  it('builds cold, then again with the cache restored', async () => {
    const cold = await build(testCase.fixture, 'cold');
    await assertOutput(cold.result, cold.workDir, testCase);

    const cached = await build(testCase.fixture, 'cached');
    await assertOutput(cached.result, cached.workDir, testCase);
    if (cold.result.plan.installCommand !== null) {
      expect(cold.result.cache?.restored).toBe(false);
      expect(cached.result.cache?.restored).toBe(true);
    }
    // Same sources: a reproducible build has nothing new to upload the second time.
    const total = Object.keys(cached.result.manifest.files).length;
    if (testCase.reproducible === false) expect(cached.result.uploadedFiles).toBeLessThan(total);
    else expect(cached.result.uploadedFiles).toBe(0);
    timings.push({
      fixture: testCase.fixture,
      coldInstallMs: cold.result.durationsMs.install,
      cachedInstallMs: cached.result.durationsMs.install,
      cacheRestoreMs: cached.result.cache?.restoreMs,
      coldBuildMs: cold.result.durationsMs.build,
      cachedBuildMs: cached.result.durationsMs.build,
    });
  });
});

describe('failing', () => {
  it('fails in the build step with the last log lines', async () => {
    const error = await build('failing', 'cold').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BuildStepError);
    const stepError = error as BuildStepError;
    expect(stepError.step).toBe('build');
    expect(stepError.logTail.join('\n')).toContain('error: something went wrong in the fixture build');
    expect(stepError.logTail.at(-1)).toMatch(/\[build\] failed: `npm run build` failed \(exit code 1\)/);
  });
});

describe('redaction', () => {
  it('a sensitive env var echoed by a real build never appears in the log', async () => {
    const { result, sink } = await build('build-script', 'secret', { env: { FIXTURE_SECRET: SECRET }, sensitiveKeys: ['FIXTURE_SECRET'] });
    expect(result.manifest.files['index.html']).toBeDefined();
    const log = sink.lines.join('\n');
    expect(log).toContain('secret is [redacted] (done)');
    expect(log).not.toContain(SECRET);
    expect(log).not.toContain(SECRET.slice(0, SECRET.length / 2));
  });
});
