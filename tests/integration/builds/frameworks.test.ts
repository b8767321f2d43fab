import path from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { s3Client } from '../../../functions/src/adapters/aws/clients.ts';
import { newTeam, sha256, uniqueName, type Client } from '../api/harness.ts';
import { buildResult, deployFiles, expectReady, readTree, startPlatform, visit, type Platform } from './platform.ts';

/**
 * Each supported framework, end to end: the fixture's files uploaded through the API, built for
 * real by the local build runner with its real dependencies from the npm registry, and every file
 * of the build's manifest fetched back through the local edge byte for byte.
 */
const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures/frameworks');
const FRAMEWORKS = [
  ['static', 'static'],
  ['vite-react', 'vite'],
  ['vite-vue', 'vite'],
  ['vite-svelte', 'vite'],
  ['astro', 'astro'],
  ['next-export', 'nextjs'],
  ['eleventy', 'eleventy'],
  ['build-script', 'build-script'],
] as const;

let platform: Platform;
let c: Client;
beforeAll(async () => {
  platform = await startPlatform();
  c = platform.client((await newTeam()).tokens.owner);
});
afterAll(() => platform?.close());

async function manifestOf(deploymentId: string): Promise<{ framework: string; files: Record<string, { sha: string }> }> {
  const res = await s3Client().send(new GetObjectCommand({ Bucket: process.env.RUNWAY_ARTIFACT_BUCKET, Key: `manifests/${deploymentId}.json` }));
  return JSON.parse(await res.Body!.transformToString());
}

describe.concurrent('framework fixtures deploy end to end', () => {
  test.each(FRAMEWORKS)('%s is detected as %s, built, and served byte for byte', async (fixture, framework) => {
    const name = uniqueName(fixture.replace(/[^a-z]/g, '').slice(0, 8));
    expect((await c.post('/v1/projects', { name })).status).toBe(201);
    const { deployment } = await deployFiles(c, name, readTree(path.join(FIXTURES, fixture)));
    const done = await expectReady(c, deployment.id, 240_000);
    const manifest = await manifestOf(deployment.id);
    expect(manifest.framework).toBe(framework);
    const paths = Object.keys(manifest.files);
    expect(paths).toContain('index.html');
    for (const file of paths) {
      let res = await visit(platform.edge, done.url, `/${file.split('/').map(encodeURIComponent).join('/')}`);
      // With cleanUrls (the static fixture's runway.json) `/about.html` redirects to `/about`.
      if (res.status === 308) res = await visit(platform.edge, done.url, res.headers.location!);
      expect(res.status, file).toBe(200);
      expect(sha256(res.body), file).toBe(manifest.files[file]!.sha);
    }
  }, 300_000);
});

test('a rebuild restores the dependency cache (install times reported)', async () => {
  const name = uniqueName('cache');
  expect((await c.post('/v1/projects', { name })).status).toBe(201);
  const files = readTree(path.join(FIXTURES, 'vite-react'));
  const first = await deployFiles(c, name, files);
  await expectReady(c, first.deployment.id, 240_000);
  const second = await deployFiles(c, name, { ...files, 'public/marker.txt': uniqueName('m') });
  await expectReady(c, second.deployment.id, 240_000);
  const [cold, warm] = [await buildResult(c, first.deployment.id), await buildResult(c, second.deployment.id)];
  console.log(`install: cold ${cold.durationsMs.install} ms, with cache ${warm.durationsMs.install} ms (${JSON.stringify(warm.cache)})`);
  expect(cold.cache.restored).toBe(false);
  expect(warm.cache.restored).toBe(true);
  expect(warm.cache.key).toBe(cold.cache.key);
}, 600_000);
