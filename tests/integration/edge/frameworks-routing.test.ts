import path from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { s3Client } from '../../../functions/src/adapters/aws/clients.ts';
import { newTeam, sha256, uniqueName, type Client } from '../api/harness.ts';
import { deployFiles, expectReady, readTree, startPlatform, visit, type Platform } from '../builds/platform.ts';

/**
 * Real framework output routed right: each project uploaded, built for real (dependencies from the
 * npm registry), and every file of its manifest fetched through the local edge — byte-identical,
 * every content-hashed asset (the framework's own directory) immutable for a year, HTML revalidated.
 * - a Vite SPA with a fallback rewrite: real files still win over the fallback;
 * - an Astro static site with directory output and cleanUrls;
 * - an Astro project built with its Vercel adapter (static): its own `.vercel/output` deployed as is.
 */
const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures/frameworks');
const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'public, max-age=0, must-revalidate';

let platform: Platform;
let c: Client;
beforeAll(async () => {
  platform = await startPlatform();
  c = platform.client((await newTeam()).tokens.owner);
});
afterAll(() => platform?.close());

async function manifestOf(deploymentId: string): Promise<{ framework: string; files: Record<string, { sha: string; contentType: string }> }> {
  const res = await s3Client().send(new GetObjectCommand({ Bucket: process.env.RUNWAY_ARTIFACT_BUCKET, Key: `manifests/${deploymentId}.json` }));
  return JSON.parse(await res.Body!.transformToString());
}

async function deploy(fixture: string, extra: Record<string, string> = {}) {
  const name = uniqueName(fixture.replace(/[^a-z]/g, '').slice(0, 8));
  expect((await c.post('/v1/projects', { name })).status).toBe(201);
  const { deployment } = await deployFiles(c, name, { ...readTree(path.join(FIXTURES, fixture)), ...extra });
  const done = await expectReady(c, deployment.id, 300_000);
  return { id: deployment.id as string, host: done.url as string, manifest: await manifestOf(deployment.id) };
}

const urlOf = (file: string) => `/${file.split('/').map(encodeURIComponent).join('/')}`;

/** Every file byte-identical (following one canonical redirect); returns the response per file. */
async function everyFileServed(host: string, manifest: Awaited<ReturnType<typeof manifestOf>>) {
  const served: Record<string, Awaited<ReturnType<typeof visit>>> = {};
  for (const [file, entry] of Object.entries(manifest.files)) {
    let res = await visit(platform.edge, host, urlOf(file));
    if (res.status === 308) res = await visit(platform.edge, host, res.headers.location!);
    expect([file, res.status, sha256(res.body)]).toEqual([file, 200, entry.sha]);
    served[file] = res;
  }
  return served;
}

describe.concurrent('framework output through the router', () => {
  test('Vite SPA with a fallback rewrite: every file byte for byte, client routes get the shell, assets/ immutable', async () => {
    const { host, manifest } = await deploy('vite-react', { 'vercel.json': JSON.stringify({ rewrites: [{ source: '/(.*)', destination: '/index.html' }] }) });
    expect(manifest.framework).toBe('vite');
    const served = await everyFileServed(host, manifest);
    const assets = Object.keys(manifest.files).filter((f) => f.startsWith('assets/'));
    expect(assets.length).toBeGreaterThan(0);
    for (const file of assets) expect([file, served[file]!.headers['cache-control']]).toEqual([file, IMMUTABLE]);
    expect(served['index.html']!.headers['cache-control']).toBe(REVALIDATE);
    const route = await visit(platform.edge, host, '/dashboard/settings/42');
    expect([route.status, sha256(route.body)]).toEqual([200, manifest.files['index.html']!.sha]);
  }, 400_000);

  test('Astro static site, directory output and cleanUrls: /about and /about/ serve about/index.html, /about/index.html redirects, _astro/ immutable', async () => {
    const { host, manifest } = await deploy('astro-clean');
    expect(manifest.framework).toBe('astro');
    expect(Object.keys(manifest.files)).toEqual(expect.arrayContaining(['index.html', 'about/index.html']));
    const served = await everyFileServed(host, manifest);
    const hashed = Object.keys(manifest.files).filter((f) => f.startsWith('_astro/'));
    expect(hashed.length).toBeGreaterThan(0);
    for (const file of hashed) expect([file, served[file]!.headers['cache-control']]).toEqual([file, IMMUTABLE]);
    const about = await visit(platform.edge, host, '/about');
    expect([about.status, sha256(about.body), about.headers['cache-control']]).toEqual([200, manifest.files['about/index.html']!.sha, REVALIDATE]);
    // cleanUrls without trailingSlash: the directory path serves too (no slash redirect, as the
    // cleanUrls × trailingSlash matrix of the conformance cases says); /about/index.html redirects.
    const slash = await visit(platform.edge, host, '/about/');
    expect([slash.status, sha256(slash.body)]).toEqual([200, manifest.files['about/index.html']!.sha]);
    expect((await visit(platform.edge, host, '/about/index.html')).headers.location).toBe('/about');
  }, 400_000);

  test('Astro with @astrojs/vercel (static): its .vercel/output is deployed as is, every file byte for byte, _astro/ immutable', async () => {
    const { id, host, manifest } = await deploy('astro-vercel');
    const served = await everyFileServed(host, manifest);
    const hashed = Object.keys(manifest.files).filter((f) => f.startsWith('_astro/'));
    expect(hashed.length).toBeGreaterThan(0);
    for (const file of hashed) expect([file, served[file]!.headers['cache-control']]).toEqual([file, IMMUTABLE]);
    // The adapter's own routes are the deployment's: its immutable header route and its 404 route.
    const index = await s3Client().send(new GetObjectCommand({ Bucket: process.env.RUNWAY_ARTIFACT_BUCKET, Key: `routes/${id}.json` }));
    const routes = JSON.parse(await index.Body!.transformToString()).config.routes as Array<{ src?: string; headers?: Record<string, string> }>;
    expect(routes[0]).toEqual({ src: '^/_astro(?:/(.*))$', headers: { 'cache-control': IMMUTABLE }, continue: true });
    expect(Object.keys(manifest.files)).toEqual(expect.arrayContaining(['index.html', 'about/index.html']));
    const missing = await visit(platform.edge, host, '/no-such-page');
    expect(missing.status).toBe(404);
  }, 400_000);
});
