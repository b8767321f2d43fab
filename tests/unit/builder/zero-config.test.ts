import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsStore } from '../../../functions/src/builder/adapters/fs-store.ts';
import { type JobInput, parseJob } from '../../../functions/src/builder/job.ts';
import { Logger, MemorySink, Redactor } from '../../../functions/src/builder/log.ts';
import { BuildStepError, runPipeline } from '../../../functions/src/builder/pipeline.ts';
import { bundleApiFunctions, EDGE_EXPORT, ESBUILD_VERSION, findApiEntrypoints, nodeRuntime, planApiFunctions, withApiRoutes } from '../../../functions/src/builder/zero-config.ts';
import { prepareRoutes, route } from '../../../functions/src/core/routing/router.ts';
import { parseBuildOutputConfig } from '../../../functions/src/core/routing/schema.ts';
import { loadFunction } from '../../../functions/src/launcher/launcher.ts';
import { eventFromRequest } from '../../../functions/src/launcher/protocol.ts';
import { copyFixture, readZip, tempDir, writeTree } from './helpers.ts';

const FIXTURE = fileURLToPath(new URL('../../fixtures/functions/api-zero-config/', import.meta.url));

describe('findApiEntrypoints and planApiFunctions (Vercel zero-config api/)', () => {
  it('finds Node.js sources under api/ but _-prefixed files and dirs and .d.ts files', async () => {
    expect(await findApiEntrypoints(FIXTURE)).toEqual(['api/hello.ts', 'api/index.ts', 'api/slow.ts', 'api/users/[id].ts', 'api/web.mjs']);
  });

  it('writes the routes vercel build writes: a dynamic function after the filesystem with its parameter in the query, /api/x.ts to /api/x on a miss', () => {
    const plan = planApiFunctions(['api/hello.ts', 'api/users/[id].ts', 'api/[team]/members/[member].mjs'], {});
    expect(plan.functions.map((f) => [f.name, f.format, f.runtime])).toEqual([
      ['api/[team]/members/[member]', 'esm', 'nodejs22.x'],
      ['api/hello', 'cjs', 'nodejs22.x'],
      ['api/users/[id]', 'cjs', 'nodejs22.x'],
    ]);
    expect(plan.routes).toEqual([
      { phase: 'miss', routes: [{ src: '^/api/(.+)(?:\\.(?:mjs|ts))$', dest: '/api/$1', check: true }] },
      {
        phase: 'filesystem',
        routes: [
          // A function's own file name first (the 404 below would answer it before the miss phase).
          { src: '^/api/(.+)(?:\\.(?:mjs|ts))$', dest: '/api/$1', check: true },
          // Deepest first (Vercel's sortFilesBySegmentCount).
          { src: '^/api/([^/]+)/members/([^/]+)$', dest: '/api/[team]/members/[member]?team=$1&member=$2', check: true },
          { src: '^/api/users/([^/]+)$', dest: '/api/users/[id]?id=$1', check: true },
          { src: '^/api(/.*)?$', status: 404 },
        ],
      },
    ]);
  });

  it('with cleanUrls, redirects /api/x.ts to /api/x instead', () => {
    const plan = planApiFunctions(['api/hello.ts'], { vercelJson: { cleanUrls: true } });
    expect(plan.routes[0]).toEqual({
      phase: null,
      routes: [
        { src: '^/(api(?:.+)?)/index(?:\\.(?:ts))?/?$', headers: { Location: '/$1' }, status: 308 },
        { src: '^/api/(.+)(?:\\.(?:ts))/?$', headers: { Location: '/api/$1' }, status: 308 },
      ],
    });
  });

  it('ESM or CommonJS as the source is: .mjs/.mts ESM, .cjs/.cts CommonJS, .js/.ts by package.json "type"', () => {
    const formats = (type?: string) =>
      planApiFunctions(['api/a.mjs', 'api/b.cjs', 'api/c.js', 'api/d.ts', 'api/e.mts', 'api/f.cts'], { packageJson: { type } }).functions.map((f) => f.format);
    expect(formats()).toEqual(['esm', 'cjs', 'cjs', 'cjs', 'esm', 'cjs']);
    expect(formats('module')).toEqual(['esm', 'cjs', 'esm', 'esm', 'esm', 'cjs']);
  });

  it('picks the runtime from engines.node as Vercel does (the newest supported major the range allows)', () => {
    expect(nodeRuntime(undefined)).toBe('nodejs22.x');
    expect(nodeRuntime('20.x')).toBe('nodejs20.x');
    expect(nodeRuntime('>=20')).toBe('nodejs24.x');
    expect(nodeRuntime('^22.12.0')).toBe('nodejs22.x');
    expect(() => nodeRuntime('16.x')).toThrow('Found invalid or discontinued Node.js Version: "16.x"');
    expect(() => nodeRuntime('banana')).toThrow('Found invalid or discontinued Node.js Version');
  });

  it('applies vercel.json functions (memory, maxDuration) by glob and refuses a pattern that matches nothing or a community runtime', () => {
    const plan = planApiFunctions(['api/a.ts', 'api/b.ts'], { vercelJson: { functions: { 'api/a.ts': { memory: 256, maxDuration: 60, includeFiles: 'x/**', excludeFiles: 'y' } } } });
    expect(plan.functions.map((f) => [f.name, f.memory, f.maxDuration, f.includeFiles])).toEqual([
      ['api/a', 256, 60, 'x/**'],
      ['api/b', undefined, undefined, undefined],
    ]);
    expect(plan.notes).toEqual(['vercel.json functions["api/a.ts"]: excludeFiles ignored (Runway applies memory, maxDuration and includeFiles)']);
    expect(() => planApiFunctions(['api/a.ts'], { vercelJson: { functions: { 'api/missing.ts': { memory: 256 } } } })).toThrow(
      'The pattern "api/missing.ts" defined in `functions` doesn\'t match any Serverless Functions inside the `api` directory.',
    );
    expect(() => planApiFunctions(['api/a.ts'], { vercelJson: { functions: { 'api/*.ts': { runtime: 'vercel-php@0.7.0' } } } })).toThrow('Runway runs the Node.js runtime only');
  });

  it('refuses paths that conflict, as Vercel does', () => {
    expect(() => planApiFunctions(['api/[a].ts', 'api/[b].ts'], {})).toThrow('Two or more files have conflicting paths or names');
    expect(() => planApiFunctions(['api/user.ts', 'api/user.js'], {})).toThrow('The path "api/user.js" has conflicts with "api/user.ts"');
    expect(() => planApiFunctions(['api/[id]/[id].ts'], {})).toThrow('The segment "id" occurs more than one time in your path "api/[id]/[id].ts"');
  });

  it('puts the routes after the project\'s own (vercel.json rewrites first) and before a runway.json spa fallback', () => {
    const plan = planApiFunctions(['api/users/[id].ts'], {});
    const spa = { src: '^/(?:[^/]*/)*[^/.]*$', dest: '/index.html', check: true };
    const config = withApiRoutes({ version: 3, routes: [{ handle: 'filesystem' }, { src: '^/a$', dest: '/b' }, spa] }, plan);
    expect(config.routes).toEqual([
      { handle: 'filesystem' },
      { src: '^/a$', dest: '/b' },
      { src: '^/api/(.+)(?:\\.(?:ts))$', dest: '/api/$1', check: true },
      { src: '^/api/users/([^/]+)$', dest: '/api/users/[id]?id=$1', check: true },
      { src: '^/api(/.*)?$', status: 404 },
      spa,
      { handle: 'miss' },
      { src: '^/api/(.+)(?:\\.(?:ts))$', dest: '/api/$1', check: true },
    ]);
    // The router then sends /api/users/42 to the function and keeps the SPA for app paths.
    const routes = prepareRoutes(parseBuildOutputConfig(config));
    const files = { has: (p: string) => p === 'index.html', fn: (p: string) => (p === 'api/users/[id]' ? p : undefined) };
    const req = (p: string) => ({ method: 'GET', path: p, query: '', host: 'x', headers: {} });
    expect(route(routes, files, req('/api/users/42'))).toMatchObject({ kind: 'function', name: 'api/users/[id]', query: 'id=42' });
    // Its file name reaches it too (Vercel: /api/users/[id].ts is the function's own path).
    expect(route(routes, files, req('/api/users/[id].ts'))).toMatchObject({ kind: 'function', name: 'api/users/[id]' });
    // The rest of /api is a 404, never the SPA's index.html.
    expect(route(routes, files, req('/api/users/42/posts'))).toMatchObject({ kind: 'error', status: 404 });
    expect(route(routes, files, req('/app/settings'))).toMatchObject({ kind: 'file', path: 'index.html' });
  });
});

/** Writes every entry of a zip under `dest`. */
async function unzip(file: string, dest: string): Promise<void> {
  for (const entry of await readZip(file)) {
    const target = path.join(dest, entry.name);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, entry.bytes);
  }
}

describe('runPipeline with a zero-config api/ (real npm install, esbuild installed from the registry)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let store: FsStore;
  const sink = new MemorySink();
  let result: Awaited<ReturnType<typeof runPipeline>>;

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    store = new FsStore(path.join(dir, 'store'));
    const project = await copyFixture('../functions/api-zero-config', path.join(dir, 'project'));
    const source = await store.importSource(project);
    const job: JobInput = { deploymentId: 'dpl_api', projectId: 'prj_1', source };
    result = await runPipeline(parseJob(job), { source: store, blobs: store, log: new Logger({ sink, redactor: new Redactor([]) }) }, { workDir: path.join(dir, 'work'), hasBinary: () => false });
  }, 240_000);
  afterAll(() => cleanup());

  /** Unzips a function's blob and loads it with the launcher, as a worker or a Lambda would. */
  async function run(name: string, request: { method?: string; url: string; headers?: Record<string, string>; body?: string }) {
    const fn = result.manifest.functions![name]!;
    const dest = path.join(dir, 'run', name);
    await unzip(store.blobPath(fn.sha), dest);
    const config = fn.config as { handler: string; shouldAddHelpers: boolean; maxDuration?: number };
    const loaded = await loadFunction(dest, { handler: config.handler, shouldAddHelpers: config.shouldAddHelpers, maxDurationSeconds: config.maxDuration ?? 15 });
    try {
      const response = await loaded.invoke(
        eventFromRequest({ method: request.method ?? 'GET', url: request.url, headers: { host: 'app.localhost', ...request.headers }, body: Buffer.from(request.body ?? ''), requestId: 'r1' }),
      );
      const chunks: Buffer[] = [];
      for await (const chunk of response.body) chunks.push(Buffer.from(chunk as Buffer));
      return { status: response.statusCode, headers: response.headers, text: Buffer.concat(chunks).toString('utf8') };
    } finally {
      await loaded.close();
    }
  }

  it('lists one function per api/ source, with its generated config, and no _ or .d.ts file', () => {
    const fns = result.manifest.functions!;
    expect(Object.keys(fns)).toEqual(['api/hello', 'api/index', 'api/slow', 'api/users/[id]', 'api/web']);
    expect(fns['api/hello']!.config).toMatchObject({ runtime: 'nodejs22.x', handler: 'index.cjs', launcherType: 'Nodejs', shouldAddHelpers: true, supportsResponseStreaming: true });
    expect(fns['api/web']!.config).toMatchObject({ handler: 'index.mjs' });
    expect(fns['api/slow']!.config).toMatchObject({ memory: 512, maxDuration: 30 });
    expect(fns['api/users/[id]']!.paths).toEqual(['api/users/[id]']);
    expect(sink.lines.join('\n')).toContain(`api/: 5 functions bundled with esbuild`);
  });

  it('deploys the static files without the api/ sources and the platform files (package.json, lockfiles…)', () => {
    expect(Object.keys(result.manifest.files)).toEqual(['data/greeting.txt', 'index.html']);
  });

  it('routes the dynamic function after the filesystem', () => {
    const routes = (result.manifest.config?.buildOutput as { routes: unknown[] }).routes;
    expect(routes).toContainEqual({ src: '^/api/users/([^/]+)$', dest: '/api/users/[id]?id=$1', check: true });
  });

  it('a TypeScript Node handler bundles its npm dependency and helper, reads its includeFiles, and gets Vercel\'s helpers', async () => {
    const r = await run('api/hello', { method: 'POST', url: '/api/hello?name=Ada', headers: { cookie: 'session=s1', 'content-type': 'application/json' }, body: '{"n":1}' });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text)).toEqual({ message: 'hello Ada', twoDays: 172_800_000, cookie: 's1', method: 'POST', body: { n: 1 } });
    const zip = await readFile(store.blobPath(result.manifest.functions!['api/hello']!.sha));
    expect(zip.includes('never deployed')).toBe(false);
    expect((await readZip(store.blobPath(result.manifest.functions!['api/hello']!.sha))).map((e) => e.name)).toEqual(['data/greeting.txt', 'index.cjs']);
    expect((await readZip(store.blobPath(result.manifest.functions!['api/web']!.sha))).map((e) => e.name)).toEqual(['index.mjs']);
  });

  it('a Web handler answers GET and POST with a JSON body', async () => {
    expect(JSON.parse((await run('api/web', { url: '/api/web?q=x' })).text)).toEqual({ web: true, q: 'x' });
    const posted = await run('api/web', { method: 'POST', url: '/api/web', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    expect([posted.status, JSON.parse(posted.text)]).toEqual([201, { received: { a: 1 } }]);
  });

  it('the dynamic function reads its parameter from the query the route built; api/index answers /api', async () => {
    expect(JSON.parse((await run('api/users/[id]', { url: '/api/users/42?id=42' })).text)).toEqual({ id: '42' });
    expect((await run('api/index', { url: '/api' })).text).toBe('index of /api');
  });

  it('pins the esbuild it installs to the one the platform builds with', async () => {
    const installed = JSON.parse(await readFile(path.join(dir, 'work', 'tools', 'node_modules', 'esbuild', 'package.json'), 'utf8'));
    const own = JSON.parse(await readFile(fileURLToPath(new URL('../../../node_modules/esbuild/package.json', import.meta.url)), 'utf8'));
    expect(installed.version).toBe(ESBUILD_VERSION);
    expect(own.version).toBe(ESBUILD_VERSION);
  });
});

describe('runPipeline: api/ functions that cannot be built', () => {
  it('a source esbuild cannot bundle fails the collect step naming the function', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const store = new FsStore(path.join(dir, 'store'));
      await writeTree(path.join(dir, 'p'), { 'index.html': 'x', 'api/broken.ts': 'import { nope } from "not-installed-anywhere";\nexport default () => nope;\n' });
      const source = await store.importSource(path.join(dir, 'p'));
      const error = await runPipeline(
        parseJob({ deploymentId: 'dpl_b', projectId: 'prj_1', source }),
        { source: store, blobs: store, log: new Logger({ sink: new MemorySink(), redactor: new Redactor([]) }) },
        // The platform's own esbuild (the same version): this test is about the error, not the install.
        { workDir: path.join(dir, 'work'), hasBinary: () => false, esbuild: async () => (await import('esbuild')) as never },
      ).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BuildStepError);
      expect((error as BuildStepError).step).toBe('collect');
      expect((error as Error).message).toContain('Function "api/broken": esbuild could not bundle api/broken.ts: ');
      expect((error as Error).message).toContain('not-installed-anywhere');
    } finally {
      await cleanup();
    }
  });
});

describe('bundleApiFunctions: a per-file Edge runtime export is refused before bundling', () => {
  it.each([
    ["export const config = { runtime: 'edge' };\nexport default () => new Response('x');"],
    ['export const runtime = "experimental-edge";\nexport function GET() { return new Response("x"); }'],
    ["export const config = {\n  maxDuration: 5,\n  runtime: `edge`,\n};\nexport default () => new Response('x');"],
  ])('%s', async (source) => {
    const { dir, cleanup } = await tempDir('runway-edge-export-');
    try {
      await writeTree(dir, { 'api/edge.ts': source });
      const plan = planApiFunctions(['api/edge.ts'], {});
      const esbuild = { build: () => Promise.reject(new Error('esbuild must not run for an Edge function')) };
      await expect(bundleApiFunctions(dir, plan, path.join(dir, 'out'), esbuild)).rejects.toThrow(/Function "api\/edge" asks for the Edge runtime/);
    } finally {
      await cleanup();
    }
  });

  it('a Node.js function that only mentions the Edge runtime in a comment or string is bundled', () => {
    expect(EDGE_EXPORT.test("// export const runtime = 'nodejs'\nconst note = \"runtime: 'edge'\";\nexport default () => 1;")).toBe(false);
    expect(EDGE_EXPORT.test("export const config = { runtime: 'nodejs' };")).toBe(false);
  });
});
