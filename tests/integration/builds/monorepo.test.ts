import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { newTeam, uniqueName, type Client } from '../api/harness.ts';
import { buildLog, buildResult, deployFiles, expectReady, readTree, startPlatform, visit, type Platform } from './platform.ts';

/**
 * A project in a subfolder of a monorepo (its `rootDirectory`), with the lockfile at the
 * repository root: installed from the root with that lockfile, as a workspace, built in the
 * subfolder, with real packages from the npm registry (pnpm itself through npx, at the version
 * the root's `packageManager` pins). The page the build produces imports a workspace package, so
 * the served bundle proves the workspace was linked.
 */
const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures/monorepos');

let platform: Platform;
let c: Client;
beforeAll(async () => {
  platform = await startPlatform();
  c = platform.client((await newTeam()).tokens.owner);
});
afterAll(() => platform?.close());

async function createProject(prefix: string): Promise<string> {
  const name = uniqueName(prefix);
  const res = await c.post('/v1/projects', { name, rootDirectory: 'apps/web' });
  expect(res.status, res.text).toBe(201);
  return name;
}

/** The text of the JavaScript the served index.html loads. */
async function servedScript(host: string): Promise<string> {
  const page = await visit(platform.edge, host, '/');
  expect(page.status).toBe(200);
  const src = /<script type="module"[^>]* src="([^"]+)"/.exec(page.body.toString('utf8'))?.[1];
  expect(src, page.body.toString('utf8')).toBeDefined();
  const script = await visit(platform.edge, host, src!);
  expect(script.status).toBe(200);
  return script.body.toString('utf8');
}

describe.concurrent('a project in a monorepo subfolder', () => {
  test.each([
    ['npm-workspace', 'package-lock.json', 'npm', 'npm ci', 'Hello from an npm workspace package'],
    ['pnpm-workspace', 'pnpm-lock.yaml', 'pnpm', 'npx --yes pnpm@9.15.9 install --frozen-lockfile', 'Hello from a pnpm workspace package'],
  ])('%s: installed at the root with %s, built in apps/web, served', async (fixture, lockfile, manager, install, greeting) => {
    const name = await createProject(fixture.slice(0, 4));
    const { deployment } = await deployFiles(c, name, readTree(path.join(FIXTURES, fixture)));
    const done = await expectReady(c, deployment.id, 240_000);
    const log = (await buildLog(c, deployment.id)).join('\n');
    expect(log).toContain(`framework=vite packageManager=${manager} lockfile=../../${lockfile} installDir=../..`);
    expect(log).toContain(`$ ${install}`);
    expect(await servedScript(done.url)).toContain(greeting);
  }, 300_000);
});

test('a rebuild restores every node_modules of the workspace and skips the install; another project never reads that cache', async () => {
  const files = readTree(path.join(FIXTURES, 'npm-workspace'));
  const name = await createProject('mono');
  const first = await deployFiles(c, name, files);
  await expectReady(c, first.deployment.id, 240_000);
  const second = await deployFiles(c, name, files);
  const done = await expectReady(c, second.deployment.id, 240_000);
  const [cold, warm] = [await buildResult(c, first.deployment.id), await buildResult(c, second.deployment.id)];
  expect(cold.cache).toMatchObject({ restored: false, installSkipped: false });
  expect(warm.cache).toMatchObject({ key: cold.cache.key, restored: true, installSkipped: true });
  expect(await buildLog(c, second.deployment.id)).not.toContainEqual(expect.stringMatching(/\$ npm ci$/));
  expect(await servedScript(done.url)).toContain('Hello from an npm workspace package');

  // The same files in another project: the build API scopes cache entries to the project.
  const other = await createProject('mono');
  const third = await deployFiles(c, other, files);
  await expectReady(c, third.deployment.id, 240_000);
  expect((await buildResult(c, third.deployment.id)).cache).toMatchObject({ key: cold.cache.key, restored: false, installSkipped: false });
}, 600_000);
