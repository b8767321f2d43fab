import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { NO_INDEX_RETRY_AFTER_SECONDS } from '../../../functions/src/edge/origin-request.ts';
import { PLATFORM_NOT_FOUND_HTML } from '../../../functions/src/edge/serve.ts';
import { createEdgeServer, edgeReady } from '../../../local/edge.ts';
import { deploymentId, hostname, listen, request, seeder, store, type EdgeResponse } from './helpers.ts';

/**
 * The local edge over HTTP against the emulator: the real viewer-request/viewer-response sources,
 * the real origin-request router and origin-response handlers, the emulator edge store and S3
 * (deployment indexes and blobs). Three tenants; C's bytes carry a marker that must never leak.
 */
const seed = seeder();
const A = deploymentId();
const B = deploymentId();
const C = deploymentId();
const hostA = hostname('alpha');
const hostB = hostname('bravo');
const hostC = hostname('charlie');
const SECRET = `tenant-c-secret-${randomBytes(8).toString('hex')}`;
const big = randomBytes(10 * 1024 + 7);

const page = (name: string) => `<!doctype html><title>${name}</title><p>${name}</p>`;
const html = (name: string) => ({ body: page(name), type: 'text/html; charset=utf-8' });

let port: number;
let close: () => Promise<void>;
const get = (host: string, path: string, headers: Record<string, string> = {}) => request(port, host, path, { headers });
/** A request written byte for byte (Node's client refuses to send two Host headers); the whole answer as text. */
async function raw(message: string): Promise<string> {
  const socket = net.connect(port, '127.0.0.1');
  // Written, not ended: a request whose connection is half-closed at once may be dropped before an
  // asynchronous answer. `Connection: close` ends it from the server's side.
  socket.write(message);
  return Buffer.concat((await socket.toArray()) as Buffer[]).toString('utf8');
}

beforeAll(async () => {
  await Promise.all([
    seed.deployment(A, {
      'index.html': html('A home'),
      'about.html': html('A about'),
      'docs/index.html': html('A docs'),
      '404.html': html('A not found'),
      'assets/app.1a2b3c4d.js': { body: 'console.log("A")', type: 'text/javascript; charset=utf-8' },
      'style.css': { body: 'body{color:red}', type: 'text/css; charset=utf-8' },
      'logo.svg': { body: '<svg xmlns="http://www.w3.org/2000/svg"/>' },
      'data.json': { body: '{"a":1}', type: 'application/json' },
      'blob.unknownext': { body: 'raw' },
      'big.bin': { body: big, type: 'application/octet-stream' },
      'café.html': html('A café'),
    }, {
      runwayJson: {
        cleanUrls: true,
        redirects: [{ source: '/old/:path*', destination: '/docs/:path*', permanent: false }],
        headers: [{ source: '/(.*)', headers: [{ key: 'x-frame-options', value: 'DENY' }] }],
      },
    }),
    seed.deployment(B, { 'index.html': html('B home'), 'docs/index.html': html('B docs') }),
    seed.deployment(C, { 'index.html': { body: SECRET, type: 'text/html' }, 'secret.txt': { body: SECRET, type: 'text/plain' } }),
  ]);
  await Promise.all([
    seed.point(hostA, A),
    seed.point(hostB, B),
    seed.point(hostC, C),
  ]);
  ({ port, close } = await listen(createEdgeServer()));
});

afterAll(async () => {
  await close?.();
  await seed.cleanup();
});

const text = (r: EdgeResponse) => r.body.toString('utf8');

describe('serving a deployment', () => {
  test('/ serves index.html', async () => {
    const r = await get(hostA, '/');
    expect(r.status).toBe(200);
    expect(text(r)).toBe(page('A home'));
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(r.headers['content-length']).toBe(String(Buffer.byteLength(page('A home'))));
  });

  test('the Host port is ignored, and host names are case-insensitive', async () => {
    expect(text(await get(`${hostA.toUpperCase()}:4001`, '/'))).toBe(page('A home'));
  });

  test('clean URLs: /about serves about.html, /about.html redirects to /about', async () => {
    const r = await get(hostA, '/about');
    expect([r.status, text(r)]).toEqual([200, page('A about')]);
    // The Location is the route's, query string not appended: Vercel's dev server sends
    // `headers.location || dest` as is (packages/cli/src/util/dev/server.ts, exitWithStatus).
    const redirect = await get(hostA, '/about.html?x=1');
    expect([redirect.status, redirect.headers.location]).toEqual([308, '/about']);
  });

  test('a directory serves its index.html, with and without config', async () => {
    expect(text(await get(hostA, '/docs/'))).toBe(page('A docs'));
    expect(text(await get(hostB, '/docs'))).toBe(page('B docs'));
  });

  test('percent-encoded names reach the file S3 stores decoded', async () => {
    expect(text(await get(hostA, '/caf%C3%A9'))).toBe(page('A café'));
  });

  test('configured redirects and headers apply', async () => {
    const r = await get(hostA, '/old/guide');
    expect([r.status, r.headers.location]).toEqual([307, '/docs/guide']);
    expect((await get(hostA, '/')).headers['x-frame-options']).toBe('DENY');
    expect((await get(hostB, '/')).headers['x-frame-options']).toBeUndefined();
  });

  test('a missing file serves the deployment\'s 404.html with status 404', async () => {
    const r = await get(hostA, '/nope');
    expect(r.status).toBe(404);
    expect(text(r)).toBe(page('A not found'));
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
  });

  test('a host pointing at a deployment without an index (finalized before indexes) gets a 503 with Retry-After until the backfill, never another deployment', async () => {
    const host = hostname('noindex');
    await seed.point(host, deploymentId());
    const r = await get(host, '/');
    expect([r.status, r.headers['retry-after'], r.headers['cache-control']]).toEqual([503, String(NO_INDEX_RETRY_AFTER_SECONDS), 'no-store']);
  });

  test('a deployment without 404.html gets the platform 404 page', async () => {
    const r = await get(hostB, '/nope.css');
    expect([r.status, text(r)]).toEqual([404, PLATFORM_NOT_FOUND_HTML]);
  });

  test('a file answers GET and HEAD only: other methods get 405 with Allow, as origin-request answers in AWS', async () => {
    const r = await request(port, hostA, '/', { method: 'POST' });
    expect(r.status).toBe(405);
    expect(r.headers.allow).toBe('GET, HEAD');
  });
});

describe('content types and caching', () => {
  test.each([
    ['/style.css', 'text/css; charset=utf-8'],
    ['/data.json', 'application/json'],
    ['/assets/app.1a2b3c4d.js', 'text/javascript; charset=utf-8'],
    // Listed without a type: the extension decided.
    ['/logo.svg', 'image/svg+xml'],
    ['/blob.unknownext', 'application/octet-stream'],
  ])('%s is %s', async (path, type) => {
    const r = await get(hostA, path);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe(type);
    expect(r.headers['x-content-type-options']).toBe('nosniff');
  });

  test('a content-hashed asset is cached for a year, immutable; HTML revalidates', async () => {
    expect((await get(hostA, '/assets/app.1a2b3c4d.js')).headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect((await get(hostA, '/style.css')).headers['cache-control']).toBe('public, max-age=0, must-revalidate');
    expect((await get(hostA, '/about')).headers['cache-control']).toBe('public, max-age=0, must-revalidate');
  });
});

describe('HEAD, Range and conditional requests', () => {
  test('HEAD has the GET headers and no body', async () => {
    const [head, full] = await Promise.all([request(port, hostA, '/', { method: 'HEAD' }), get(hostA, '/')]);
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect(head.headers['content-length']).toBe(full.headers['content-length']);
    expect(head.headers.etag).toBe(full.headers.etag);
    expect(head.headers['cache-control']).toBe(full.headers['cache-control']);
  });

  test('HEAD of a missing file is a 404 without a body', async () => {
    const r = await request(port, hostA, '/nope', { method: 'HEAD' });
    expect([r.status, r.body.length]).toEqual([404, 0]);
  });

  test.each([
    ['bytes=0-9', 0, 9],
    ['bytes=100-', 100, big.length - 1],
    ['bytes=-5', big.length - 5, big.length - 1],
    ['bytes=10000-999999', 10000, big.length - 1],
  ])('Range %s → 206 with exactly those bytes', async (range, start, end) => {
    const r = await get(hostA, '/big.bin', { range });
    expect(r.status).toBe(206);
    expect(r.headers['content-range']).toBe(`bytes ${start}-${end}/${big.length}`);
    expect(r.body.equals(big.subarray(start, end + 1))).toBe(true);
  });

  test('an unsatisfiable range is a 416 naming the size', async () => {
    const r = await get(hostA, '/big.bin', { range: `bytes=${big.length}-` });
    expect(r.status).toBe(416);
    expect(r.headers['content-range']).toBe(`bytes */${big.length}`);
  });

  test('a multi-range or malformed Range gets the whole file, as from S3', async () => {
    for (const range of ['bytes=0-1,5-6', 'lines=1-2', 'bytes=x-y']) {
      const r = await get(hostA, '/big.bin', { range });
      expect(r.status, range).toBe(200);
      expect(r.body.equals(big)).toBe(true);
    }
  });

  test('If-None-Match with the ETag → 304, with headers and no body', async () => {
    const first = await get(hostA, '/style.css');
    expect(first.headers.etag).toMatch(/^"[0-9a-f]+"$/);
    const r = await get(hostA, '/style.css', { 'if-none-match': first.headers.etag! });
    expect(r.status).toBe(304);
    expect(r.body.length).toBe(0);
    expect(r.headers.etag).toBe(first.headers.etag);
    expect(r.headers['cache-control']).toBe('public, max-age=0, must-revalidate');
    expect((await get(hostA, '/style.css', { 'if-none-match': '"other"' })).status).toBe(200);
  });

  test('objects too big to keep in memory stream from S3 with the same answers', async () => {
    const small = await listen(createEdgeServer({ maxCachedObjectBytes: 1024 }));
    try {
      const full = await request(small.port, hostA, '/big.bin');
      expect(full.status).toBe(200);
      expect(full.body.equals(big)).toBe(true);
      const part = await request(small.port, hostA, '/big.bin', { headers: { range: 'bytes=5000-5099' } });
      expect(part.status).toBe(206);
      expect(part.body.equals(big.subarray(5000, 5100))).toBe(true);
      const head = await request(small.port, hostA, '/big.bin', { method: 'HEAD' });
      expect([head.status, head.headers['content-length'], head.body.length]).toEqual([200, String(big.length), 0]);
    } finally {
      await small.close();
    }
  });
});

describe('tenant isolation', () => {
  const neverLeaks = (r: EdgeResponse) => {
    expect(text(r)).not.toContain(SECRET);
    expect(text(r)).not.toContain('A home');
  };

  test('an unknown host gets the platform 404, whatever the path', async () => {
    for (const path of ['/', '/index.html', `/d/${C}/secret.txt`, '/secret.txt']) {
      const r = await get(hostname('unknown'), path);
      expect(r.status).toBe(404);
      expect(text(r)).toContain('No deployment at this address');
      neverLeaks(r);
    }
  });

  test('a missing or malformed Host gets the platform 404', async () => {
    for (const host of ['', 'bad_host!', `${hostB}.evil`, `x.${hostB}`]) {
      const r = await get(host, '/');
      expect(r.status, host).toBe(404);
      neverLeaks(r);
    }
  });

  test('two Host headers are a 400 whichever comes first; so is an HTTP/1.1 request without one', async () => {
    for (const [first, second] of [[hostA, hostB], [hostB, hostA], [hostA, hostA]]) {
      const answer = await raw(`GET / HTTP/1.1\r\nHost: ${first}\r\nHost: ${second}\r\nConnection: close\r\n\r\n`);
      expect(answer).toMatch(/^HTTP\/1\.1 400 /);
      expect(answer).not.toContain('A home');
    }
    expect(await raw('GET / HTTP/1.1\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 /);
    // One Host is served as ever.
    expect(await raw(`GET / HTTP/1.1\r\nHost: ${hostA}\r\nConnection: close\r\n\r\n`)).toContain(page('A home'));
  });

  test('a deployment id in the path stays inside the host\'s own deployment', async () => {
    const r = await get(hostB, `/d/${C}/secret.txt`);
    expect(r.status).toBe(404);
    neverLeaks(r);
  });

  const traversals = [
    `/../${C}/secret.txt`,
    `/../../d/${C}/secret.txt`,
    `/%2e%2e/${C}/secret.txt`,
    `/%2E%2E/%2E%2E/d/${C}/secret.txt`,
    `/.%2e/${C}/secret.txt`,
    `/..%2f${C}%2fsecret.txt`,
    `/%2e%2e%2f${C}%2fsecret.txt`,
    `/docs/..%2F..%2F${C}/secret.txt`,
    `/..\\${C}\\secret.txt`,
    `/%5c..%5c${C}%5csecret.txt`,
    `/docs\\..\\..\\${C}\\secret.txt`,
    `/./../${C}/secret.txt`,
    `/%252e%252e/${C}/secret.txt`,
    `/%c0%ae%c0%ae/${C}/secret.txt`,
    `/%00/../${C}/secret.txt`,
    `/docs/%2e%2e`,
    `/${'a/'.repeat(600)}../${C}/secret.txt`,
    `/${'%2e%2e/'.repeat(200)}d/${C}/secret.txt`,
  ];
  test.each(traversals)('%s never leaves the deployment', async (path) => {
    const r = await get(hostB, path);
    expect([400, 404, 414]).toContain(r.status);
    neverLeaks(r);
  });
});

describe('a slow request holds up no other (issue 11 item 4)', () => {
  test('a request stuck on a dependency gets a 504 after the time bound, while others are served meanwhile', async () => {
    const stuck = hostname('stuck');
    let release: () => void = () => {};
    const never = new Promise<undefined>((resolve) => (release = () => resolve(undefined)));
    // The edge store answers for every host but `stuck`, whose read hangs.
    const server = createEdgeServer({ kvsCacheMs: 0, requestTimeoutMs: 300, store: { get: (host) => (host === stuck ? never : store.get(host)) } });
    // Its routing threads start within the 300 ms bound only on an idle machine.
    await edgeReady(server);
    const slow = await listen(server);
    try {
      const started = performance.now();
      const pending = request(slow.port, stuck, '/');
      const others = await Promise.all([1, 2, 3].map(() => request(slow.port, hostA, '/')));
      expect(others.map((r) => r.status)).toEqual([200, 200, 200]);
      const r = await pending;
      expect(r.status).toBe(504);
      expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    } finally {
      release();
      await slow.close();
    }
  });
});

describe('promote and rollback', () => {
  // An edge without the KVS read cache: a switch is visible on the very next request, so these
  // tests need no waiting. The cache's bound (250 ms) is unit-tested with a fake clock
  // (tests/unit/local/edge-kvs-cache.test.ts); switch times are measured by `npm run bench:edge`.
  let uncached: { port: number; close: () => Promise<void> };
  beforeAll(async () => {
    uncached = await listen(createEdgeServer({ kvsCacheMs: 0 }));
  });
  afterAll(() => uncached.close());
  const getUncached = (host: string, path: string) => request(uncached.port, host, path, { headers: {} });

  test('switching the host value serves the other deployment\'s exact bytes, and back', async () => {
    const host = hostname('prod');
    await seed.point(host, A);
    expect(text(await getUncached(host, '/'))).toBe(page('A home'));
    await store.put(host, B);
    expect(text(await getUncached(host, '/'))).toBe(page('B home'));
    await store.put(host, A);
    expect(text(await getUncached(host, '/'))).toBe(page('A home'));
  });

  test('a host removed from the store falls back to the platform 404', async () => {
    const host = hostname('gone');
    await seed.point(host, B);
    expect((await getUncached(host, '/')).status).toBe(200);
    await store.delete(host);
    const r = await getUncached(host, '/');
    expect(r.status).toBe(404);
    expect(text(r)).toContain('No deployment at this address');
  });
});
