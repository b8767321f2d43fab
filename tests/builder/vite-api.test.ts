/**
 * A Vite site with zero-config `api/` functions through the real pipeline: real `npm ci`, a real
 * Vite build, esbuild installed from the registry; the site's `dist/` deploys as files and `api/`
 * as functions, together (as on Vercel). Then a second build with the cache: the function zips are
 * byte-equal, so nothing is uploaded again.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FsStore } from '../../functions/src/builder/adapters/fs-store.ts';
import { parseJob } from '../../functions/src/builder/job.ts';
import { Logger, MemorySink, Redactor } from '../../functions/src/builder/log.ts';
import { runPipeline } from '../../functions/src/builder/pipeline.ts';
import { copyFixture, tempDir, writeTree } from '../unit/builder/helpers.ts';

let root: string;
let cleanup: () => Promise<void>;
let store: FsStore;
beforeAll(async () => {
  ({ dir: root, cleanup } = await tempDir('runway-builder-vite-api-'));
  store = new FsStore(path.join(root, 'store'));
});
afterAll(() => cleanup());

async function build(run: string) {
  const project = await copyFixture('vite-react', path.join(root, `project-${run}`));
  await writeTree(project, {
    'api/hello.ts': 'export function GET(request: Request) { return Response.json({ hello: new URL(request.url).searchParams.get("name") }); }\n',
    'api/users/[id].cjs': 'module.exports = (req, res) => res.json({ id: req.query.id });\n',
  });
  await writeFile(path.join(project, 'vercel.json'), JSON.stringify({ rewrites: [{ source: '/app/(.*)', destination: '/index.html' }] }));
  const source = await store.importSource(project);
  const job = parseJob({ deploymentId: `dpl_vite_api_${run}`, projectId: 'prj_vite_api', source, cacheKey: 'prj_vite_api' });
  const sink = new MemorySink();
  try {
    return { result: await runPipeline(job, { source: store, blobs: store, cache: store, log: new Logger({ sink, redactor: new Redactor([]) }) }, { workDir: path.join(root, `work-${run}`) }), sink };
  } catch (error) {
    console.error(sink.lines.slice(-60).join('\n'));
    throw error;
  }
}

it('deploys the Vite build as files and api/ as functions, with the dynamic route after the project\'s rewrites', async () => {
  const { result } = await build('cold');
  expect(result.plan.framework).toBe('vite');
  expect(result.outputDirectory).toBe('dist');
  expect(Object.keys(result.manifest.files)).toContain('index.html');
  expect(Object.keys(result.manifest.files).some((f) => f.startsWith('api/'))).toBe(false);
  expect(Object.keys(result.manifest.functions ?? {})).toEqual(['api/hello', 'api/users/[id]']);
  expect(result.manifest.functions?.['api/users/[id]']?.config).toMatchObject({ handler: 'index.cjs', runtime: 'nodejs22.x' });
  const routes = (result.manifest.config?.buildOutput as { routes: Array<Record<string, unknown>> }).routes;
  const rewrite = routes.findIndex((r) => r.dest === '/index.html');
  const dynamic = routes.findIndex((r) => r.dest === '/api/users/[id]?id=$1');
  expect(rewrite).toBeGreaterThanOrEqual(0);
  expect(dynamic).toBeGreaterThan(rewrite);

  const cached = await build('cached');
  expect(cached.result.manifest.functions).toEqual(result.manifest.functions);
  expect(cached.sink.lines.join('\n')).toMatch(/uploaded 0 of 2 function zips/);
});
