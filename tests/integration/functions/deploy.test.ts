import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import { context } from '../../../functions/src/core/context.ts';
import { deploymentIndexKey } from '../../../functions/src/core/routing/deployment-index.ts';
import { uniqueName, type Client } from '../api/harness.ts';
import { deployFiles, expectReady, readTree, usePlatform, visit, waitForEnd, type Platform } from '../builds/platform.ts';

/**
 * A project with zero-config `api/` functions through the whole platform: CLI-style upload, the
 * local builder in its sandbox (real npm install, esbuild installed from the registry), finalize,
 * the API object and the deployment index, and the edge's routing decision.
 */

const FIXTURE = fileURLToPath(new URL('../../fixtures/functions/api-zero-config/', import.meta.url));

const started = usePlatform();
let platform: Platform;
let c: Client;
beforeAll(() => {
  platform = started.platform();
  c = started.client();
});

async function project(): Promise<string> {
  const name = uniqueName('fn');
  expect((await c.post('/v1/projects', { name })).status).toBe(201);
  return name;
}

describe('a project with api/ functions', () => {
  test('reaches READY with its functions in the API object and the index; the edge routes to them', async () => {
    const name = await project();
    expect((await c.post(`/v1/projects/${name}/env`, { key: 'GREETING', value: 'hello from env', target: ['preview'], sensitive: true })).status).toBe(201);
    const { deployment } = await deployFiles(c, name, readTree(FIXTURE));
    const done = await expectReady(c, deployment.id, 180_000);

    const api = (await c.get(`/v1/deployments/${deployment.id}`)).body;
    expect(api.functions.map((f: { name: string }) => f.name)).toEqual(['api/hello', 'api/index', 'api/slow', 'api/users/[id]', 'api/web']);
    expect(api.functions.find((f: { name: string }) => f.name === 'api/slow')).toMatchObject({ paths: ['/api/slow'], runtime: 'nodejs22.x', memory: 512, maxDuration: 30, size: expect.any(Number) });
    expect(api.functions.find((f: { name: string }) => f.name === 'api/hello')).toMatchObject({ memory: 1024, maxDuration: 15 });

    const index = JSON.parse((await context().artifacts.getText(deploymentIndexKey(deployment.id)))!);
    expect(Object.keys(index.functions)).toEqual(['api/hello', 'api/index', 'api/slow', 'api/users/[id]', 'api/web']);
    expect(index.functions['api/users/[id]']).toMatchObject({ paths: ['api/users/[id]'], runtime: 'nodejs22.x', supportsResponseStreaming: true, maxDurationSeconds: 15 });
    // Each zip is a blob of the team, like the files.
    const missing = await context().blobStore.missing(done.teamId, Object.values(index.functions).map((f) => (f as { sha: string }).sha));
    expect(missing).toEqual([]);

    // finalize handed them to the FunctionDeployer with the target's runtime env, decrypted.
    const deployed = await platform.ports.functionDeployer.read(deployment.id);
    expect(deployed?.env).toEqual({ GREETING: 'hello from env' });
    expect(deployed?.functions.map((f) => f.name)).toEqual(['api/hello', 'api/index', 'api/slow', 'api/users/[id]', 'api/web']);

    // The edge: static files as before; a function path is served by its function (the local function host).
    expect((await visit(platform.edge, done.url, '/')).body.toString()).toContain('static home');
    expect((await visit(platform.edge, done.url, '/package.json')).status).toBe(404);
    const json = async (path: string) => JSON.parse((await visit(platform.edge, done.url, path)).body.toString());
    expect(await json('/api/hello?name=ada')).toMatchObject({ message: 'hello ada', twoDays: 172_800_000, method: 'GET' });
    expect(await json('/api/users/42')).toEqual({ id: '42' });
    // Its own file name reaches a function, as on Vercel.
    expect(await json('/api/hello.ts?name=bob')).toMatchObject({ message: 'hello bob' });
    expect((await visit(platform.edge, done.url, '/api')).body.toString()).toBe('index of /api');
    expect((await visit(platform.edge, done.url, '/api/nothing/here')).status).toBe(404);
  });

  test('an api/ function that cannot be bundled: ERROR at step collect naming it', async () => {
    const name = await project();
    const { deployment } = await deployFiles(c, name, { 'index.html': 'x', 'api/broken.ts': 'import x from "not-installed-anywhere";\nexport default () => x;\n' });
    const done = await waitForEnd(c, deployment.id, 180_000);
    expect(done).toMatchObject({ state: 'ERROR', errorStep: 'collect' });
    expect(done.errorMessage).toContain('Function "api/broken": esbuild could not bundle api/broken.ts');
  });

  /** A project whose build writes a Build Output API tree, as a framework adapter does (a symlinked .func included). */
  const boaProject = (vc: Record<string, unknown>) => ({
    'package.json': JSON.stringify({ name: 'boa', private: true, scripts: { build: 'node build.mjs' } }),
    'build.mjs': [
      "import { mkdirSync, writeFileSync, symlinkSync } from 'node:fs';",
      "const out = '.vercel/output';",
      "mkdirSync(out + '/static', { recursive: true });",
      "mkdirSync(out + '/functions/ssr.func', { recursive: true });",
      "writeFileSync(out + '/config.json', JSON.stringify({ version: 3, routes: [{ handle: 'filesystem' }, { src: '/.*', dest: '/ssr' }] }));",
      "writeFileSync(out + '/static/favicon.txt', 'icon');",
      "writeFileSync(out + '/functions/ssr.func/index.mjs', 'export default { fetch: () => new Response(\"ssr\") };');",
      `writeFileSync(out + '/functions/ssr.func/.vc-config.json', ${JSON.stringify(JSON.stringify(vc))});`,
      "symlinkSync('ssr.func', out + '/functions/page.func');",
    ].join('\n'),
  });

  test('a framework\'s .vercel/output functions deploy: a symlinked .func is one function with both paths; a rewrite lands on it', async () => {
    const name = await project();
    const { deployment } = await deployFiles(c, name, boaProject({ runtime: 'nodejs20.x', handler: 'index.mjs', launcherType: 'Nodejs', regions: ['iad1'] }));
    const done = await expectReady(c, deployment.id, 180_000);
    expect(done.functions).toEqual([{ name: 'ssr', paths: ['/page', '/ssr'], runtime: 'nodejs20.x', memory: 1024, maxDuration: 15, size: expect.any(Number) }]);
    expect((await visit(platform.edge, done.url, '/favicon.txt')).body.toString()).toBe('icon');
    const rewritten = await visit(platform.edge, done.url, '/any/page?x=1');
    expect([rewritten.status, rewritten.body.toString()]).toEqual([200, 'ssr']);
    expect((await visit(platform.edge, done.url, '/page')).body.toString()).toBe('ssr');
  });

  test('an Edge-runtime function: ERROR at step collect naming it', async () => {
    const name = await project();
    const { deployment } = await deployFiles(c, name, boaProject({ runtime: 'edge', entrypoint: 'index.mjs' }));
    const done = await waitForEnd(c, deployment.id, 180_000);
    expect(done).toMatchObject({ state: 'ERROR', errorStep: 'collect' });
    expect(done.errorMessage).toContain('Function "ssr" uses the Edge runtime');
  });
});
