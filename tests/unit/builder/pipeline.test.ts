import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FsStore } from '../../../functions/src/builder/adapters/fs-store.ts';
import { packDir } from '../../../functions/src/builder/archive.ts';
import { type JobInput, parseJob } from '../../../functions/src/builder/job.ts';
import { Logger, MemorySink, Redactor, sensitiveValues } from '../../../functions/src/builder/log.ts';
import { BuildStepError, runPipeline, STEPS } from '../../../functions/src/builder/pipeline.ts';
import { copyFixture, tempDir, writeTree } from './helpers.ts';

describe('runPipeline with the fs-store (no network)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let store: FsStore;
  let sink: MemorySink;
  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
    store = new FsStore(path.join(dir, 'store'));
    sink = new MemorySink();
  });
  afterEach(() => cleanup());

  /** Imports `projectDir` as a files source and runs the pipeline in a fresh work dir. */
  async function build(projectDir: string, job: Partial<JobInput> = {}, workName = 'work') {
    const source = await store.importSource(projectDir);
    const parsed = parseJob({ deploymentId: `dpl_${workName}`, projectId: 'prj_1', source, ...job });
    const log = new Logger({ sink, redactor: new Redactor(sensitiveValues(parsed.env, parsed.sensitiveKeys)) });
    return runPipeline(parsed, { source: store, blobs: store, cache: store, log }, { workDir: path.join(dir, workName), hasBinary: () => false });
  }

  it('deploys the static fixture as is: manifest, blobs and config (Build Output API routes)', async () => {
    const project = await copyFixture('static', path.join(dir, 'static'));
    const result = await build(project);

    expect(result.plan.framework).toBe('static');
    expect(Object.keys(result.manifest.files)).toEqual(['404.html', 'about.html', 'css/style.css', 'index.html']);
    // runway.json as the project has it, and compiled into Build Output API v3 (cleanUrls: its
    // redirects, and an override serving each .html file without its extension).
    expect(result.manifest.config?.runwayJson).toEqual({ cleanUrls: true });
    const boa = result.manifest.config?.buildOutput as { version: number; routes: unknown[]; overrides: Record<string, { path: string }> };
    expect(boa.version).toBe(3);
    expect(boa.overrides).toEqual({ '404.html': { path: '404' }, 'about.html': { path: 'about' }, 'index.html': { path: 'index' } });
    expect(boa.routes.length).toBeGreaterThan(0);
    const written = JSON.parse(await readFile(store.manifestPath('dpl_work'), 'utf8'));
    expect(written).toEqual(result.manifest);
    for (const [file, entry] of Object.entries(result.manifest.files)) {
      const original = await readFile(path.join(project, file));
      expect(entry.sha).toBe(createHash('sha256').update(original).digest('hex'));
      expect(await readFile(store.blobPath(entry.sha))).toEqual(original);
    }
    expect(result.manifest.files['css/style.css']?.contentType).toBe('text/css; charset=utf-8');
    for (const step of STEPS) expect(sink.lines.some((l) => l.endsWith(`[${step}] start`))).toBe(true);
  });

  it('uploads only the blobs the store lacks', async () => {
    const project = await copyFixture('static', path.join(dir, 'static'));
    const first = await build(project, {}, 'one');
    await writeTree(project, { 'new.html': '<p>new</p>' });
    const second = await build(project, {}, 'two');
    expect(first.uploadedFiles).toBe(4);
    expect(second.uploadedFiles).toBe(1);
    expect(await readdir(path.join(store.root, 'blobs'))).toHaveLength(5);
  });

  it('builds from a rootDirectory and runs the build with the project env, secrets redacted', async () => {
    await copyFixture('build-script', path.join(dir, 'repo', 'apps', 'site'));
    const result = await build(path.join(dir, 'repo'), {
      overrides: { rootDirectory: 'apps/site', installCommand: '' },
      env: { FIXTURE_SECRET: 'super-secret-value-123' },
      sensitiveKeys: ['FIXTURE_SECRET'],
    });
    expect(result.outputDirectory).toBe('build');
    expect(Object.keys(result.manifest.files)).toEqual(['assets/app.js', 'index.html']);
    const log = sink.lines.join('\n');
    expect(log).toContain('secret is [redacted] (done)');
    expect(log).toContain('stderr also sees [redacted]');
    expect(log).not.toContain('super-secret-value-123');
    expect(log).not.toContain('secret-value');
  });

  it('takes a framework\'s own .vercel/output as is: static/ are the files, config.json the routes', async () => {
    const config = { version: 3, routes: [{ src: '^/_app/immutable/(.*)$', headers: { 'cache-control': 'public, immutable, max-age=31536000' }, continue: true }, { handle: 'filesystem' }] };
    await writeTree(path.join(dir, 'boa'), {
      'package.json': JSON.stringify({ name: 'boa', private: true }),
      'vercel.json': JSON.stringify({ cleanUrls: true }),
      '.vercel/output/config.json': JSON.stringify(config),
      '.vercel/output/static/index.html': '<p>home</p>',
      '.vercel/output/static/_app/immutable/app.js': 'x',
    });
    const result = await build(path.join(dir, 'boa'), { overrides: { installCommand: '', buildCommand: '' } });
    expect(result.outputDirectory).toBe('.vercel/output/static');
    expect(Object.keys(result.manifest.files)).toEqual(['_app/immutable/app.js', 'index.html']);
    expect(result.manifest.config?.buildOutput).toEqual(config);
    expect(sink.lines.join('\n')).toContain(".vercel/output/config.json found: deploying the framework's Build Output API output");
  });

  it('a vercel.json routing-utils refuses fails the build at step manifest with its message', async () => {
    await writeTree(path.join(dir, 'bad'), { 'index.html': 'x', 'vercel.json': JSON.stringify({ redirects: [{ source: '/(', destination: '/' }] }) });
    const error = await build(path.join(dir, 'bad')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BuildStepError);
    expect(error).toMatchObject({ step: 'manifest', message: expect.stringContaining('vercel.json') });
  });

  it('rejects a rootDirectory that escapes the source', async () => {
    await copyFixture('static', path.join(dir, 'static'));
    const error = await build(path.join(dir, 'static'), { overrides: { rootDirectory: '../..' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BuildStepError);
    expect(error).toMatchObject({ step: 'detect' });
  });

  it('a failing build throws BuildStepError(build) with the last log lines', async () => {
    const project = await copyFixture('failing', path.join(dir, 'failing'));
    const error = await build(project, { overrides: { installCommand: '' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BuildStepError);
    const stepError = error as BuildStepError;
    expect(stepError.step).toBe('build');
    expect(stepError.message).toMatch(/npm run build.*exit code 1/);
    expect(stepError.logTail.join('\n')).toContain('error: something went wrong in the fixture build');
    await expect(readdir(path.join(store.root, 'manifests'))).rejects.toThrow();
  });

  it('an install that outlives its step limit fails with "install exceeded …", not a generic timeout', async () => {
    const project = await copyFixture('static', path.join(dir, 'static'));
    const source = await store.importSource(project);
    const job = parseJob({ deploymentId: 'dpl_slow', projectId: 'prj_1', source, overrides: { installCommand: 'sleep 30' } });
    const log = new Logger({ sink });
    const error = await runPipeline(job, { source: store, blobs: store, log }, {
      workDir: path.join(dir, 'slow'),
      hasBinary: () => false,
      timeouts: { installMs: 300, buildMs: 60_000 },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BuildStepError);
    expect((error as BuildStepError).step).toBe('install');
    expect((error as Error).message).toMatch(/^step install failed: install exceeded 0\.3 s and was stopped: .*Lambda compute stops a whole build at 15 min; .*runway:buildCompute=ec2/);
  });

  it('Astro server output without the Vercel adapter fails in detect, before installing anything', async () => {
    const project = path.join(dir, 'astro-server');
    await writeTree(project, { 'package.json': JSON.stringify({ dependencies: { astro: '7.0.0' } }), 'astro.config.mjs': "export default { output: 'server' }" });
    const error = await build(project).catch((e: unknown) => e);
    expect(error).toMatchObject({ step: 'detect' });
    expect((error as Error).message).toContain("Astro server output needs Vercel's adapter");
  });

  it('restores the package manager cache and framework caches on the next build', async () => {
    const project = path.join(dir, 'cached');
    await writeTree(project, {
      'package.json': JSON.stringify({ scripts: { build: 'node build.mjs' } }),
      'package-lock.json': '{"lockfileVersion":3}',
      'build.mjs': [
        "import { existsSync, mkdirSync, writeFileSync } from 'node:fs';",
        "console.log('framework cache ' + (existsSync('node_modules/.cache/fw.txt') ? 'hit' : 'miss'));",
        "mkdirSync('node_modules/.cache', { recursive: true }); writeFileSync('node_modules/.cache/fw.txt', 'x');",
        "mkdirSync('dist', { recursive: true }); writeFileSync('dist/index.html', 'hi');",
      ].join('\n'),
    });
    const install = 'if [ -f "$npm_config_cache/marker" ]; then echo pm cache hit; else echo pm cache miss; fi; mkdir -p "$npm_config_cache" && touch "$npm_config_cache/marker"';
    const job = { cacheKey: 'prj_1-main', overrides: { installCommand: install } };

    const first = await build(project, job, 'one');
    expect(first.cache).toMatchObject({ key: expect.stringMatching(/^prj_1-main-build-script-[0-9a-f]{64}$/), restored: false });
    const second = await build(project, job, 'two');
    expect(second.cache).toMatchObject({ key: first.cache?.key, restored: true });
    const texts = sink.lines.map((l) => l.slice(l.indexOf(' ') + 1));
    expect(texts.filter((t) => /cache (hit|miss)$/.test(t))).toEqual(['pm cache miss', 'framework cache miss', 'pm cache hit', 'framework cache hit']);
  });

  /** The log lines of the pipeline's own commands (`$ npm ci`), in order. */
  const commands = (): string[] => sink.lines.map((l) => l.slice(l.indexOf(' ') + 1)).filter((t) => t.startsWith('$ '));

  /** A project whose only dependency is a local package: `npm install` links it without the registry. */
  async function projectWithLocalDependency(project: string): Promise<void> {
    await writeTree(project, {
      'package.json': JSON.stringify({ name: 'mods', private: true, scripts: { build: 'node build.cjs' }, dependencies: { 'local-dep': 'file:./local-dep' } }),
      'local-dep/package.json': JSON.stringify({ name: 'local-dep', version: '1.0.0', main: 'index.js' }),
      'local-dep/index.js': "module.exports = 'built with local-dep';",
      'build.cjs': "const fs = require('node:fs'); fs.mkdirSync('dist'); fs.writeFileSync('dist/index.html', require('local-dep'));",
    });
  }

  it('restores node_modules and skips the detected install while the install inputs are unchanged', async () => {
    const project = path.join(dir, 'mods');
    await projectWithLocalDependency(project);
    const job = { cacheKey: 'prj_1' };

    const cold = await build(project, job, 'cold');
    expect(cold.cache).toMatchObject({ restored: false, installSkipped: false });
    expect(commands()).toEqual(['$ npm install', '$ npm run build']);

    const warm = await build(project, job, 'warm');
    expect(warm.cache).toMatchObject({ key: cold.cache?.key, restored: true, installSkipped: true });
    // No install ran: the build found node_modules as the cold install left it.
    expect(commands()).toEqual(['$ npm install', '$ npm run build', '$ npm run build']);
    const page = warm.manifest.files['index.html'];
    expect(await readFile(store.blobPath(page!.sha), 'utf8')).toBe('built with local-dep');

    // A changed package.json is a new key: installed again.
    await writeTree(project, { 'package.json': JSON.stringify({ ...JSON.parse(await readFile(path.join(project, 'package.json'), 'utf8')), description: 'changed' }) });
    const changed = await build(project, job, 'changed');
    expect(changed.cache).toMatchObject({ restored: false, installSkipped: false });
    expect(changed.cache?.key).not.toBe(cold.cache?.key);
    expect(commands().filter((c) => c === '$ npm install')).toHaveLength(2);

    // The entry of one scope (the control plane scopes it to a project) is never another's.
    const other = await build(project, { cacheKey: 'prj_2' }, 'other');
    expect(other.cache).toMatchObject({ restored: false, installSkipped: false });
  });

  it("a project whose own package.json has install scripts installs every time (they may write outside node_modules)", async () => {
    const project = path.join(dir, 'mods');
    await projectWithLocalDependency(project);
    const pkg = JSON.parse(await readFile(path.join(project, 'package.json'), 'utf8'));
    await writeTree(project, { 'package.json': JSON.stringify({ ...pkg, scripts: { ...pkg.scripts, prepare: 'node -e "1"' } }) });
    await build(project, { cacheKey: 'prj_1' }, 'cold');
    const warm = await build(project, { cacheKey: 'prj_1' }, 'warm');
    expect(warm.cache).toMatchObject({ restored: true, installSkipped: false });
    expect(commands().filter((c) => c === '$ npm install')).toHaveLength(2);
  });

  it('a cache entry is untrusted: node_modules paths outside the install dir are refused and the install runs', async () => {
    const project = path.join(dir, 'mods');
    await projectWithLocalDependency(project);
    const cold = await build(project, { cacheKey: 'prj_1' }, 'cold');
    // Replace the entry with one that names a path outside the project.
    const poisoned = path.join(dir, 'poisoned');
    await mkdir(path.join(poisoned, 'modules', 'x'), { recursive: true });
    await writeFile(path.join(poisoned, 'deps.json'), JSON.stringify({ mode: 'modules', modules: ['../../outside/node_modules'] }));
    await packDir(poisoned, path.join(store.root, 'cache', `${cold.cache!.key}.tar.gz`));

    const next = await build(project, { cacheKey: 'prj_1' }, 'next');
    expect(next.cache).toMatchObject({ restored: false, installSkipped: false });
    expect(sink.lines.some((l) => /cache: node_modules not restored, installing: .*"\.\." segment/.test(l))).toBe(true);
    expect(commands().filter((c) => c === '$ npm install')).toHaveLength(2);
    await expect(readdir(path.join(dir, 'outside'))).rejects.toThrow();
  });

  it('installs a monorepo workspace from the root that holds the lockfile, builds in its rootDirectory, and caches every node_modules', async () => {
    const repo = path.join(dir, 'repo');
    await writeTree(repo, {
      'package.json': JSON.stringify({ name: 'mono', private: true, workspaces: ['apps/*', 'packages/*'] }),
      'packages/greet/package.json': JSON.stringify({ name: '@mono/greet', version: '1.0.0', bin: { greet: 'bin.js' } }),
      'packages/greet/bin.js': "#!/usr/bin/env node\nrequire('node:fs').mkdirSync('dist');\nrequire('node:fs').writeFileSync('dist/index.html', 'greeted from ' + process.cwd().split('/').slice(-2).join('/'));\n",
      'apps/site/package.json': JSON.stringify({ name: 'site', private: true, dependencies: { '@mono/greet': '1.0.0' } }),
    });
    // A real lockfile, as `npm install` writes it; workspaces only, so no registry is needed.
    await promisify(execFile)('npm', ['install', '--package-lock-only', '--offline', '--no-audit', '--no-fund'], { cwd: repo, env: { ...process.env, npm_config_cache: path.join(dir, 'npm-cache') } });
    // `greet` is the workspace's bin, hoisted to the root's node_modules/.bin: the command runs as is, not through npm.
    const job = { cacheKey: 'prj_mono', overrides: { rootDirectory: 'apps/site', framework: 'build-script', buildCommand: 'greet' } } as const;

    const cold = await build(repo, job, 'cold');
    expect(cold.plan).toMatchObject({ packageManager: 'npm', lockfile: path.join('..', '..', 'package-lock.json'), installDirectory: path.join('..', '..'), installCommand: 'npm ci' });
    expect(sink.lines.some((l) => l.includes(`installDir=${path.join('..', '..')}`))).toBe(true);
    expect(commands()).toEqual(['$ npm ci', '$ greet']);
    const page = await readFile(store.blobPath(cold.manifest.files['index.html']!.sha), 'utf8');
    expect(page).toBe('greeted from apps/site');

    const warm = await build(repo, job, 'warm');
    expect(warm.cache).toMatchObject({ key: cold.cache?.key, restored: true, installSkipped: true });
    expect(commands()).toEqual(['$ npm ci', '$ greet', '$ greet']);
    expect(warm.manifest.files['index.html']!.sha).toBe(cold.manifest.files['index.html']!.sha);
  });

  it('a broken cache never fails the build', async () => {
    const project = await copyFixture('build-script', path.join(dir, 'p'));
    const broken = {
      restore: async () => {
        throw new Error('cache backend down');
      },
      save: async () => {
        throw new Error('cache backend down');
      },
    };
    const source = await store.importSource(project);
    const job = parseJob({ deploymentId: 'd1', projectId: 'p1', source, cacheKey: 'k', overrides: { installCommand: 'true' } });
    const log = new Logger({ sink });
    const result = await runPipeline(job, { source: store, blobs: store, cache: broken, log }, { workDir: path.join(dir, 'w') });
    expect(result.cache).toMatchObject({ key: expect.any(String), restored: false });
    expect(sink.lines.some((l) => l.includes('cache: restore failed, continuing without it: cache backend down'))).toBe(true);
    expect(sink.lines.some((l) => l.includes('cache: save failed'))).toBe(true);
  });

  it('refuses source files whose bytes do not match their sha', async () => {
    const project = await copyFixture('static', path.join(dir, 'static'));
    const source = await store.importSource(project);
    const first = source.files[0];
    if (first === undefined) throw new Error('fixture has no files');
    first.sha = 'b'.repeat(64);
    await writeTree(path.join(store.root, 'source'), { ['b'.repeat(64)]: 'tampered' });
    const job = parseJob({ deploymentId: 'd1', projectId: 'p1', source });
    const error = await runPipeline(job, { source: store, blobs: store, log: new Logger({ sink }) }, { workDir: path.join(dir, 'w') }).catch((e: unknown) => e);
    expect(error).toMatchObject({ step: 'source' });
    expect((error as Error).message).toMatch(/expected sha256 b{64}/);
  });
});
