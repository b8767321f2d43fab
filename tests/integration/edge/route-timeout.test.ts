import http from 'node:http';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { deploymentIndexKey, type DeploymentIndex } from '../../../functions/src/core/routing/deployment-index.ts';
import { createEdgeServer } from '../../../local/edge.ts';
import { createGateway } from '../../../local/gateway.ts';
import { bucket, deploymentId, hostname, listen, request, s3, seeder } from './helpers.ts';

/**
 * Issue 11 item 4: a route `src` with super-linear matching that got past the builder's check (a
 * hostile build writing its own index, tests/integration/builds/redos.test.ts "KNOWN GAP") must not
 * freeze the local platform. The local edge routes on worker threads: the catastrophic request
 * gets a 504 after `routeTimeoutMs`, its thread is replaced, and the edge and the API (same
 * process, same event loop) answer everyone else meanwhile.
 */
const seed = seeder();
const HOSTILE = deploymentId();
const OTHER = deploymentId();
const hostileHost = hostname('hostile');
const otherHost = hostname('other');
const ROUTE_TIMEOUT_MS = 500;
// `^/(a+)+$` against 32 a's and a "!": about 2^32 backtracking steps, minutes of one thread.
const CATASTROPHIC_PATH = `/${'a'.repeat(32)}!`;

let edge: { port: number; close: () => Promise<void> };
let api: { port: number; close: () => Promise<void> };

beforeAll(async () => {
  const page = (name: string) => ({ body: `<!doctype html><title>${name}</title>`, type: 'text/html; charset=utf-8' });
  await Promise.all([seed.deployment(HOSTILE, { 'index.html': page('hostile home') }), seed.deployment(OTHER, { 'index.html': page('other home') })]);
  // Rewrite the hostile deployment's index directly, as a build holding the builder's token could:
  // no deploy-time pattern check runs on this path.
  const key = deploymentIndexKey(HOSTILE);
  const stored = await s3.send(new GetObjectCommand({ Bucket: bucket(), Key: key }));
  const index = JSON.parse(await stored.Body!.transformToString()) as DeploymentIndex;
  index.config.routes = [{ src: '^/(a+)+$', status: 404 }, ...(index.config.routes ?? [])];
  await s3.send(new PutObjectCommand({ Bucket: bucket(), Key: key, Body: JSON.stringify(index), ContentType: 'application/json' }));
  await Promise.all([seed.point(hostileHost, HOSTILE), seed.point(otherHost, OTHER)]);
  [edge, api] = await Promise.all([listen(createEdgeServer({ routeTimeoutMs: ROUTE_TIMEOUT_MS })), listen(createGateway())]);
});

afterAll(async () => {
  await Promise.all([edge?.close(), api?.close()]);
  await seed.cleanup();
});

function health(): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: api.port, path: '/v1/health', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    }).on('error', reject);
  });
}

describe('a catastrophic route pattern stalls no one (issue 11 item 4)', () => {
  test('the hostile request gets a 504 within the bound while the other deployment and the API answer', async () => {
    // Warm both deployments' indexes, so what follows measures routing only.
    expect((await request(edge.port, hostileHost, '/')).status).toBe(200);
    expect((await request(edge.port, otherHost, '/')).status).toBe(200);

    const started = performance.now();
    let settledAt: number | undefined;
    const hostile = request(edge.port, hostileHost, CATASTROPHIC_PATH).finally(() => (settledAt = performance.now()));
    const others = await Promise.all([
      ...[1, 2, 3].map(() => request(edge.port, otherHost, '/')),
      health(),
      health(),
    ]);
    const othersDoneAt = performance.now();
    expect(others.slice(0, 3).map((r) => (typeof r === 'number' ? r : r.status))).toEqual([200, 200, 200]);
    expect(others.slice(0, 3).map((r) => (typeof r === 'number' ? '' : r.body.toString()))).toEqual(Array(3).fill('<!doctype html><title>other home</title>'));
    expect(others.slice(3)).toEqual([200, 200]);
    // They were answered while the hostile request was still being routed.
    expect(settledAt === undefined || othersDoneAt <= settledAt).toBe(true);

    const r = await hostile;
    const elapsed = settledAt! - started;
    expect(r.status).toBe(504);
    expect(r.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(r.headers['cache-control']).toBe('no-store');
    expect(r.body.toString()).toBe('Gateway Timeout');
    expect(elapsed).toBeGreaterThanOrEqual(ROUTE_TIMEOUT_MS - 50);
    expect(elapsed).toBeLessThan(ROUTE_TIMEOUT_MS + 2_000);
  });

  test('after the 504, the hostile deployment still serves its safe paths (the stuck thread was replaced)', async () => {
    // Two stuck requests at once occupy both threads; both get their 504, and both threads come back.
    const stuck = await Promise.all([request(edge.port, hostileHost, CATASTROPHIC_PATH), request(edge.port, hostileHost, CATASTROPHIC_PATH)]);
    expect(stuck.map((r) => r.status)).toEqual([504, 504]);
    const after = await Promise.all([request(edge.port, hostileHost, '/'), request(edge.port, otherHost, '/'), request(edge.port, hostileHost, '/')]);
    expect(after.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(after[0]!.body.toString()).toBe('<!doctype html><title>hostile home</title>');
    expect(await health()).toBe(200);
  });
});
