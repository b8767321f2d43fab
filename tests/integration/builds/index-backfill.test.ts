import type http from 'node:http';
import { CopyObjectCommand, DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { deploymentFileKey, manifestKey, blobKey } from '../../../functions/src/core/artifact-keys.ts';
import { backfillIndexes } from '../../../functions/src/core/build/backfill.ts';
import { context } from '../../../functions/src/core/context.ts';
import { compileRoutingConfig } from '../../../functions/src/core/routing/edge-config.ts';
import { deploymentIndexKey } from '../../../functions/src/core/routing/deployment-index.ts';
import { NO_INDEX_RETRY_AFTER_SECONDS } from '../../../functions/src/edge/origin-request.ts';
import { config } from '../../../functions/src/lib/config.ts';
import { freePort } from '../../../local/emulator.ts';
import { createEdgeServer } from '../../../local/edge.ts';
import { newTeam, uniqueName, type Client } from '../api/harness.ts';
import { deployFiles, startPlatform, visit, waitForEnd, type Platform } from './platform.ts';

/**
 * Upgrading over deployments made before the deployment index: a deployment is created through
 * the platform, then put back into the shape the older finalize left (`git show
 * main:functions/src/core/build/finish.ts`): no `routes/<id>.json`, a manifest holding the raw
 * runway.json only (the older builder compiled nothing), the files copied to `d/<id>/`, the
 * compiled legacy config at the edge as `c:<key>`, each host's edge value `<id> <key>`, and the
 * record's `configKey` / `edgeKeys`. A fresh edge (the platform's keeps indexes in memory) answers
 * it 503 with Retry-After; after the backfill it serves the same bytes and redirects; a second run
 * writes nothing.
 */
const s3 = new S3Client({ forcePathStyle: true });
const bucket = () => config().RUNWAY_ARTIFACT_BUCKET;
let platform: Platform;
let c: Client;
const edges: Array<{ server: http.Server; url: string }> = [];

beforeAll(async () => {
  platform = await startPlatform();
  const team = await newTeam();
  c = platform.client(team.tokens.owner);
});
afterAll(async () => {
  await Promise.all(edges.map(({ server }) => new Promise((r) => server.close(r))));
  await platform?.close();
});

/** A new local edge: nothing read yet, so no index kept in memory. */
async function freshEdge(): Promise<string> {
  const server = createEdgeServer();
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  const url = `http://127.0.0.1:${port}`;
  edges.push({ server, url });
  return url;
}

async function text(key: string): Promise<string | undefined> {
  try {
    return await (await s3.send(new GetObjectCommand({ Bucket: bucket(), Key: key }))).Body!.transformToString();
  } catch {
    return undefined;
  }
}

describe('deployments finalized before the deployment index', () => {
  test('are served 503 + Retry-After until the backfill, then with the same bytes and routes; a second run writes nothing', async () => {
    const name = uniqueName('legacy');
    expect((await c.post('/v1/projects', { name })).status).toBe(201);
    const runwayJson = { cleanUrls: true, redirects: [{ source: '/old/:path*', destination: '/docs/:path*', permanent: false }] };
    const binary = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 31) % 256));
    const site = {
      'index.html': `<h1>home of ${name}</h1>`,
      'about.html': '<h1>about</h1>',
      'docs/index.html': '<h1>docs</h1>',
      '404.html': '<h1>custom not found</h1>',
      'assets/app.1a2b3c4d.js': 'console.log(1)',
      'img/data.bin': binary,
      'runway.json': JSON.stringify(runwayJson),
    };
    const { deployment } = await deployFiles(c, name, site, 'production');
    const done = await waitForEnd(c, deployment.id);
    expect(done.state).toBe('READY');
    const id: string = done.id;
    const productionHost = `${name}.localhost`;
    const hosts: string[] = [productionHost, done.url];
    // READY means the deployment's own URL serves; production follows right after.
    await expect.poll(async () => (await visit(platform.edge, productionHost, '/')).status, { timeout: 20_000 }).toBe(200);
    const paths = ['/', '/about', '/docs/', '/assets/app.1a2b3c4d.js', '/img/data.bin', '/old/x', '/missing'];
    const snapshot = async (edge: string) =>
      Promise.all(
        hosts.flatMap((host) =>
          paths.map(async (path) => {
            const r = await visit(edge, host, path);
            return { host, path, status: r.status, type: r.headers['content-type'], location: r.headers.location, body: r.body.toString('base64') };
          }),
        ),
      );
    const before = await snapshot(platform.edge);
    expect(before.find((r) => r.path === '/img/data.bin' && r.host === productionHost)?.body).toBe(binary.toString('base64'));
    expect(before.find((r) => r.path === '/old/x')).toMatchObject({ status: 307, location: '/docs/x' });
    const finalizedIndex = JSON.parse((await text(deploymentIndexKey(id)))!);

    // The older finalize's shape.
    const manifest = JSON.parse((await text(manifestKey(id)))!);
    manifest.config = { runwayJson: manifest.config.runwayJson };
    expect(manifest.config.runwayJson).toEqual(runwayJson);
    await s3.send(new PutObjectCommand({ Bucket: bucket(), Key: manifestKey(id), Body: JSON.stringify(manifest), ContentType: 'application/json' }));
    await s3.send(new DeleteObjectCommand({ Bucket: bucket(), Key: deploymentIndexKey(id) }));
    for (const [path, file] of Object.entries(manifest.files as Record<string, { sha: string; contentType: string }>)) {
      await s3.send(new CopyObjectCommand({ Bucket: bucket(), CopySource: `${bucket()}/${blobKey(finalizedIndex.teamId, file.sha)}`, Key: deploymentFileKey(id, path), ContentType: file.contentType, MetadataDirective: 'REPLACE' }));
    }
    const legacy = compileRoutingConfig({ runwayJson });
    expect(legacy.key).toBeTruthy();
    const { edgeStore, deployments } = context();
    await edgeStore.put(`c:${legacy.key}`, legacy.value!);
    for (const host of hosts) {
      expect(await edgeStore.get(host)).toBe(id);
      await edgeStore.put(host, `${id} ${legacy.key}`);
    }
    expect(await deployments.update(id, { configKey: legacy.key!, edgeKeys: [`c:${legacy.key}`] }, ['READY'])).toBeDefined();

    // Upgraded edge, not backfilled yet: 503 with Retry-After, not the platform 404.
    const waiting = await visit(await freshEdge(), productionHost, '/');
    expect([waiting.status, waiting.headers['retry-after'], waiting.headers['cache-control']]).toEqual([503, String(NO_INDEX_RETRY_AFTER_SECONDS), 'no-store']);

    const first = await backfillIndexes();
    expect(first.written).toContain(id);
    expect(first.defaulted).not.toContain(id);
    expect(first.complete).toBe(true);
    // The index finalize writes today, rebuilt from what the older one stored.
    const backfilled = await text(deploymentIndexKey(id));
    expect(JSON.parse(backfilled!)).toEqual(finalizedIndex);
    expect(await snapshot(await freshEdge())).toEqual(before);

    const second = await backfillIndexes();
    expect(second.written).toEqual([]);
    expect(second.present).toBeGreaterThanOrEqual(1);
    expect(await text(deploymentIndexKey(id))).toBe(backfilled);
  });
});
