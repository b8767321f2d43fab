import { chmod, readFile, symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FsStore } from '../../../functions/src/builder/adapters/fs-store.ts';
import { FunctionPackageError, packageFunctions } from '../../../functions/src/builder/functions.ts';
import { type JobInput, parseJob } from '../../../functions/src/builder/job.ts';
import { Logger, MemorySink, Redactor } from '../../../functions/src/builder/log.ts';
import { BuildStepError, runPipeline } from '../../../functions/src/builder/pipeline.ts';
import { parseFunctionConfig } from '../../../functions/src/core/functions/config.ts';
import { readZip, tempDir, writeTree } from './helpers.ts';

/** The zip's entries with their text. */
async function readZipText(file: string) {
  return (await readZip(file)).map((e) => ({ ...e, text: e.bytes.toString('utf8') }));
}

const VC = { runtime: 'nodejs22.x', handler: 'index.js', launcherType: 'Nodejs', shouldAddHelpers: true, supportsResponseStreaming: true };

/**
 * A repository with a Build Output API tree as frameworks write it: `api/hello.func` with a file
 * symlinked from elsewhere in the repository and a filePathMap entry, `api/hi.func` a symlink to it.
 */
async function boaRepo(root: string, vcConfig: Record<string, unknown> = VC): Promise<{ output: string }> {
  await writeTree(root, {
    'shared/util.js': 'export const util = 1;\n',
    'node_modules/dep/index.js': 'module.exports = "dep";\n',
    'app/.vercel/output/config.json': JSON.stringify({ version: 3 }),
    'app/.vercel/output/static/index.html': '<h1>home</h1>',
    'app/.vercel/output/functions/api/hello.func/index.js': 'export default () => new Response("hello");\n',
    'app/.vercel/output/functions/api/hello.func/.vc-config.json': JSON.stringify({ ...vcConfig, filePathMap: { 'node_modules/dep/index.js': 'node_modules/dep/index.js' } }),
  });
  const output = path.join(root, 'app/.vercel/output');
  const fnDir = path.join(output, 'functions/api/hello.func');
  await writeFile(path.join(fnDir, 'run.sh'), '#!/bin/sh\n');
  await chmod(path.join(fnDir, 'run.sh'), 0o755);
  await symlink(path.join(root, 'shared/util.js'), path.join(fnDir, 'util.js'));
  await symlink('hello.func', path.join(output, 'functions/api/hi.func'));
  return { output };
}

describe('packageFunctions', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(() => cleanup());

  it('packages a symlinked .func once, with symlinked files as bytes, filePathMap files copied in, sorted entries and kept modes', async () => {
    const repo = path.join(dir, 'repo');
    const { output } = await boaRepo(repo);
    const { functions } = await packageFunctions(output, repo, path.join(dir, 'work'));

    expect(functions.map((f) => f.name)).toEqual(['api/hello']);
    const [fn] = functions;
    expect(fn!.entry.paths).toEqual(['api/hello', 'api/hi']);
    const entries = await readZipText(fn!.zipPath);
    expect(entries.map((e) => e.name)).toEqual(['index.js', 'node_modules/dep/index.js', 'run.sh', 'util.js']);
    expect(entries.find((e) => e.name === 'util.js')?.text).toBe('export const util = 1;\n');
    expect(entries.find((e) => e.name === 'node_modules/dep/index.js')?.text).toBe('module.exports = "dep";\n');
    expect(entries.find((e) => e.name === 'run.sh')?.mode).toBe(0o755);
    expect(entries.find((e) => e.name === 'index.js')?.mode).toBe(0o644);
    expect(fn!.entry.unzippedSize).toBe(entries.reduce((n, e) => n + Buffer.byteLength(e.text), 0));
    expect(fn!.entry.size).toBe((await readFile(fn!.zipPath)).length);
    // The manifest's config is .vc-config.json again, for the control plane's validator.
    expect(parseFunctionConfig('api/hello', fn!.entry.config).config).toMatchObject({ runtime: 'nodejs22.x', handler: 'index.js', filePathMap: {} });
  });

  it('gives byte-equal zips for equal files, whatever their mtimes', async () => {
    const repo = path.join(dir, 'repo');
    const { output } = await boaRepo(repo);
    const first = await packageFunctions(output, repo, path.join(dir, 'work1'));
    await utimes(path.join(output, 'functions/api/hello.func/index.js'), new Date(2001, 1, 1), new Date(2001, 1, 1));
    const second = await packageFunctions(output, repo, path.join(dir, 'work2'));
    expect(second.functions[0]!.entry.sha).toBe(first.functions[0]!.entry.sha);

    await writeFile(path.join(output, 'functions/api/hello.func/index.js'), 'export default () => new Response("changed");\n');
    const third = await packageFunctions(output, repo, path.join(dir, 'work3'));
    expect(third.functions[0]!.entry.sha).not.toBe(first.functions[0]!.entry.sha);
  });

  it('refuses an edge-runtime function, naming it', async () => {
    const repo = path.join(dir, 'repo');
    const { output } = await boaRepo(repo, { runtime: 'edge', entrypoint: 'index.js' });
    await expect(packageFunctions(output, repo, path.join(dir, 'work'))).rejects.toMatchObject({ code: 'edge_runtime_unsupported', message: expect.stringContaining('"api/hello"') });
  });

  it('refuses a function larger than the unzipped limit, naming it and its size', async () => {
    const repo = path.join(dir, 'repo');
    const { output } = await boaRepo(repo);
    const error = await packageFunctions(output, repo, path.join(dir, 'work'), { maxUnzippedBytes: 64 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FunctionPackageError);
    expect((error as FunctionPackageError).function).toBe('api/hello');
    expect((error as Error).message).toMatch(/^Function "api\/hello" is [\d.]+ MB unzipped; Lambda allows 0\.0 MB/);
  });

  it('refuses a symlink that leads outside the source, and a filePathMap file that does not exist', async () => {
    const repo = path.join(dir, 'repo');
    const { output } = await boaRepo(repo);
    await writeFile(path.join(dir, 'secret.txt'), 'secret');
    await symlink(path.join(dir, 'secret.txt'), path.join(output, 'functions/api/hello.func/secret.txt'));
    await expect(packageFunctions(output, repo, path.join(dir, 'work'))).rejects.toThrow('Function "api/hello": symlink secret.txt leads outside the source');

    const repo2 = path.join(dir, 'repo2');
    const { output: output2 } = await boaRepo(repo2);
    await writeFile(
      path.join(output2, 'functions/api/hello.func/.vc-config.json'),
      JSON.stringify({ ...VC, filePathMap: { 'lib/missing.js': 'lib/missing.js' } }),
    );
    await expect(packageFunctions(output2, repo2, path.join(dir, 'work2'))).rejects.toThrow('Function "api/hello": filePathMap file lib/missing.js does not exist in the source');
  });
});

describe('runPipeline with a framework that writes functions', () => {
  // One temp dir, store and log per test.
  let t: { dir: string; cleanup: () => Promise<void>; store: FsStore; sink: MemorySink };
  beforeEach(async () => {
    const temp = await tempDir();
    t = { ...temp, store: new FsStore(path.join(temp.dir, 'store')), sink: new MemorySink() };
  });
  afterEach(() => t.cleanup());

  /** A project whose build script writes a Build Output API tree (symlinks included, which a source upload cannot carry). */
  async function project(vc: Record<string, unknown>): Promise<string> {
    const root = path.join(t.dir, 'project');
    const script = `
      import { mkdirSync, writeFileSync, symlinkSync } from 'node:fs';
      const out = '.vercel/output';
      mkdirSync(out + '/static', { recursive: true });
      mkdirSync(out + '/functions/api/hello.func', { recursive: true });
      writeFileSync(out + '/config.json', JSON.stringify({ version: 3, routes: [{ handle: 'filesystem' }] }));
      writeFileSync(out + '/static/index.html', '<h1>home</h1>');
      writeFileSync(out + '/functions/api/hello.func/index.mjs', 'export default { fetch: () => new Response("hi") };');
      writeFileSync(out + '/functions/api/hello.func/.vc-config.json', ${JSON.stringify(JSON.stringify(vc))});
      symlinkSync('hello.func', out + '/functions/api/hi.func');
    `;
    await writeTree(root, { 'package.json': JSON.stringify({ name: 'fns', private: true, scripts: { build: 'node make-output.mjs' } }), 'make-output.mjs': script });
    return root;
  }

  async function build(projectDir: string) {
    const source = await t.store.importSource(projectDir);
    const job: JobInput = { deploymentId: 'dpl_fns', projectId: 'prj_1', source, overrides: { installCommand: '', buildCommand: 'node make-output.mjs' } };
    const log = new Logger({ sink: t.sink, redactor: new Redactor([]) });
    return runPipeline(parseJob(job), { source: t.store, blobs: t.store, log }, { workDir: path.join(t.dir, 'work'), hasBinary: () => false });
  }

  it('packages every function, uploads its zip as a blob and lists it in the manifest', async () => {
    const result = await build(await project({ ...VC, handler: 'index.mjs', memory: 512, maxDuration: 30, regions: ['iad1'] }));
    const fn = result.manifest.functions?.['api/hello'];
    expect(fn).toMatchObject({ paths: ['api/hello', 'api/hi'], config: { runtime: 'nodejs22.x', handler: 'index.mjs', memory: 512, maxDuration: 30 } });
    expect(Object.keys(result.manifest.functions ?? {})).toEqual(['api/hello']);
    const zip = await readFile(t.store.blobPath(fn!.sha));
    expect(zip.length).toBe(fn!.size);
    expect((await readZipText(t.store.blobPath(fn!.sha))).map((e) => e.name)).toEqual(['index.mjs']);
    const written = JSON.parse(await readFile(t.store.manifestPath('dpl_fns'), 'utf8'));
    expect(written.functions).toEqual(result.manifest.functions);
    const lines = t.sink.lines.join('\n');
    expect(lines).toContain('function api/hello: "regions" (iad1) is ignored');
    expect(lines).toContain('function api/hello: /api/hello, /api/hi');
    expect(lines).not.toContain('is not deployed');
  });

  it('fails the collect step naming an edge-runtime function', async () => {
    const error = await build(await project({ runtime: 'edge', entrypoint: 'index.mjs' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BuildStepError);
    expect((error as BuildStepError).step).toBe('collect');
    expect((error as Error).message).toContain('Function "api/hello" uses the Edge runtime');
  });
});

it('every entry has the date vercel/vercel build-utils uses (2018-10-20T01:46:40Z) as its UTC wall-clock time, and the zip is the same in any time zone', async () => {
  const { dir, cleanup } = await tempDir();
  const tz = process.env.TZ;
  try {
    const { output } = await boaRepo(path.join(dir, 'repo'));
    const shas: string[] = [];
    for (const zone of ['UTC', 'America/New_York', 'Asia/Tokyo']) {
      process.env.TZ = zone;
      const { functions } = await packageFunctions(output, path.join(dir, 'repo'), path.join(dir, `work-${zone.replace('/', '-')}`));
      shas.push(functions[0]!.entry.sha);
      // DOS fields: ((2018 - 1980) << 9) | (10 << 5) | 20 and (1 << 11) | (46 << 5) | (40 / 2).
      for (const entry of await readZip(functions[0]!.zipPath)) expect(entry.dos).toEqual({ date: (38 << 9) | (10 << 5) | 20, time: (1 << 11) | (46 << 5) | 20 });
    }
    expect(new Set(shas).size).toBe(1);
  } finally {
    if (tz === undefined) delete process.env.TZ;
    else process.env.TZ = tz;
    await cleanup();
  }
});
