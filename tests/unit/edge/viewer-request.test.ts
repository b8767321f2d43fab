import fc from 'fast-check';
import { beforeAll, describe, expect, test } from 'vitest';
import type { RunwayRoutingConfig } from '../../../functions/src/core/routing/config.ts';
import { responseBodyText, type CfResult } from '../../../local/cloudfront-sandbox.ts';
import { DOMAIN, edge, memoryKvs, type Edge } from './helpers.ts';

/** "uri" for a rewritten request, "<status> <location>" for a generated response. */
function outcome(result: CfResult): string {
  if (result.kind === 'request') return result.request.uri;
  const location = result.response.headers.location?.value;
  return location === undefined ? String(result.response.statusCode) : `${result.response.statusCode} ${location}`;
}

const PROD = `myapp.${DOMAIN}`;

function routerWith(config?: RunwayRoutingConfig): Edge {
  const kvs = memoryKvs();
  kvs.deploy(PROD, 'dpl_prod', config);
  return edge(kvs);
}

/** [path (with optional ?query), expected outcome] rows per config, all on the production host. */
const MATRIX: Array<[string, RunwayRoutingConfig | undefined, Array<[string, string]>]> = [
  [
    'no config',
    undefined,
    [
      ['/', '/d/dpl_prod/index.html'],
      ['/about', '/d/dpl_prod/about/index.html'],
      ['/about.html', '/d/dpl_prod/about.html'],
      ['/docs/', '/d/dpl_prod/docs/index.html'],
      ['/docs', '/d/dpl_prod/docs/index.html'],
      ['/assets/app.1a2b3c.js', '/d/dpl_prod/assets/app.1a2b3c.js'],
      ['/missing', '/d/dpl_prod/missing/index.html'],
      ['/a//b.css', '/d/dpl_prod/a/b.css'],
      ['/%E5%AE%B6', '/d/dpl_prod/%E5%AE%B6/index.html'],
      ['/../x', '400'],
      ['/%2e%2e/x', '400'],
      ['/a/%2E%2E/%2Fb', '400'],
      ['/a/%2fb', '400'],
      ['/a\\..\\b', '400'],
      ['/%5c..%5cb', '400'],
      ['/a/./b', '400'],
      ['/a/..', '400'],
      ['/a/.../b', '400'],
      ['/%C0%AE%C0%AE/x', '400'],
      ['/%zz', '400'],
      ['/a%00b', '400'],
      ['/a\u0000b', '400'],
      [`/${'a'.repeat(1999)}`, '414'],
    ],
  ],
  [
    'cleanUrls',
    { cleanUrls: true },
    [
      ['/', '/d/dpl_prod/index.html'],
      ['/about', '/d/dpl_prod/about.html'],
      ['/about.html', '308 /about'],
      ['/about.html?x=1&y=%20', '308 /about?x=1&y=%20'],
      ['/index.html', '308 /'],
      ['/docs/index.html', '308 /docs'],
      ['/docs/', '/d/dpl_prod/docs/index.html'],
      ['/assets/app.1a2b3c.js', '/d/dpl_prod/assets/app.1a2b3c.js'],
    ],
  ],
  [
    'trailingSlash true',
    { trailingSlash: true },
    [
      ['/', '/d/dpl_prod/index.html'],
      ['/about', '308 /about/'],
      ['/about?a=1&a=2', '308 /about/?a=1&a=2'],
      ['/about/', '/d/dpl_prod/about/index.html'],
      ['/assets/app.1a2b3c.js', '/d/dpl_prod/assets/app.1a2b3c.js'],
    ],
  ],
  [
    'trailingSlash false',
    { trailingSlash: false },
    [
      ['/', '/d/dpl_prod/index.html'],
      ['/about/', '308 /about'],
      ['/docs', '/d/dpl_prod/docs/index.html'],
    ],
  ],
  [
    'cleanUrls and trailingSlash true',
    { cleanUrls: true, trailingSlash: true },
    [
      ['/about.html', '308 /about/'],
      ['/about', '308 /about/'],
      ['/about/', '/d/dpl_prod/about.html'],
      ['/docs/index.html', '308 /docs/'],
      ['/', '/d/dpl_prod/index.html'],
    ],
  ],
  [
    'redirects with params',
    {
      redirects: [
        { source: '/blog/:slug', destination: '/posts/:slug' },
        { source: '/docs/:path*', destination: '/guide/:path*', permanent: false },
        { source: '/old/(.*)', destination: 'https://example.org/$1', statusCode: 301 },
        { source: '/go(.*)', destination: '/$1', statusCode: 302 },
      ],
    },
    [
      ['/blog/hello', '308 /posts/hello'],
      ['/blog/hello?ref=x', '308 /posts/hello?ref=x'],
      ['/blog/a/b', '/d/dpl_prod/blog/a/b/index.html'],
      ['/docs', '307 /guide'],
      ['/docs/a/b', '307 /guide/a/b'],
      ['/old/x/y.html', '301 https://example.org/x/y.html'],
      ['/go/evil.example', '302 /evil.example'],
    ],
  ],
  [
    'rewrites',
    {
      rewrites: [
        { source: '/blog/:slug', destination: '/post.html' },
        { source: '/app/:path*', destination: '/app/shell/' },
        { source: '/feed.xml', destination: '/rss.xml' },
        { source: '/(.*)', destination: '/index.html' },
      ],
    },
    [
      ['/blog/hi', '/d/dpl_prod/post.html'],
      ['/app/a/b', '/d/dpl_prod/app/shell/index.html'],
      ['/feed.xml', '/d/dpl_prod/rss.xml'],
      ['/anything/else', '/d/dpl_prod/index.html'],
      ['/assets/app.1a2b3c.js', '/d/dpl_prod/assets/app.1a2b3c.js'],
    ],
  ],
  [
    'spa',
    { spa: true },
    [
      ['/', '/d/dpl_prod/index.html'],
      ['/dashboard/settings', '/d/dpl_prod/index.html'],
      ['/docs/', '/d/dpl_prod/docs/index.html'],
      ['/assets/app.1a2b3c.js', '/d/dpl_prod/assets/app.1a2b3c.js'],
      ['/robots.txt', '/d/dpl_prod/robots.txt'],
      ['/../x', '400'],
    ],
  ],
];

describe.each(MATRIX)('viewer-request with %s', (_name, config, rows) => {
  let router: Edge;
  beforeAll(() => {
    router = routerWith(config);
  });

  test.each(rows)('%s → %s', async (path, expected) => {
    const [uri, querystring] = path.split('?') as [string, string | undefined];
    const result = await router.request({ host: PROD, uri, querystring });
    expect(outcome(result)).toBe(expected);
  });
});

describe('viewer-request hosts', () => {
  const kvs = memoryKvs();
  kvs.deploy(PROD, 'dpl_prod');
  kvs.deploy(`myapp-git-feature-x.${DOMAIN}`, 'dpl_branch');
  kvs.deploy(`myapp-abc123.${DOMAIN}`, 'dpl_immut');
  kvs.deploy('www.customer.com', 'dpl_custom');
  const router = edge(kvs);

  test.each([
    [PROD, '/d/dpl_prod/index.html'],
    [`myapp-git-feature-x.${DOMAIN}`, '/d/dpl_branch/index.html'],
    [`myapp-abc123.${DOMAIN}`, '/d/dpl_immut/index.html'],
    ['www.customer.com', '/d/dpl_custom/index.html'],
    [`${PROD}:4001`, '/d/dpl_prod/index.html'],
    [`MyApp.Runway.Example.COM`, '/d/dpl_prod/index.html'],
  ])('%s routes to its deployment', async (host, expected) => {
    expect(outcome(await router.request({ host, uri: '/' }))).toBe(expected);
  });

  test('an unknown host gets the platform 404 page, not another tenant', async () => {
    const result = await router.request({ host: `nope.${DOMAIN}`, uri: '/' });
    if (result.kind !== 'response') throw new Error('expected a generated response');
    expect(result.response.statusCode).toBe(404);
    expect(result.response.headers['content-type']?.value).toBe('text/html; charset=utf-8');
    expect(responseBodyText(result.response)).toContain('No deployment at this address');
  });

  test('an unknown host is answered 404 before its path is looked at', async () => {
    expect(outcome(await router.request({ host: `nope.${DOMAIN}`, uri: '/../x' }))).toBe('404');
  });

  test('a request without a Host header gets 404', async () => {
    expect(outcome(await router.request({ uri: '/' }))).toBe('404');
  });

  test('a host naming a config entry ("c:<key>") is never looked up as a host', async () => {
    const key = kvs.deploy(`cfg.${DOMAIN}`, 'dpl_cfg', { cleanUrls: true });
    expect(outcome(await router.request({ host: `c:${key}`, uri: '/' }))).toBe('404');
  });

  test('a malformed KVS value is treated as an unknown host', async () => {
    kvs.map.set(`broken.${DOMAIN}`, '../dpl_other');
    expect(outcome(await router.request({ host: `broken.${DOMAIN}`, uri: '/' }))).toBe('404');
  });

  test('a host whose config entry is missing gets 503, never an unconfigured response', async () => {
    kvs.map.set(`halfway.${DOMAIN}`, 'dpl_half 0123456789ab');
    expect(outcome(await router.request({ host: `halfway.${DOMAIN}`, uri: '/' }))).toBe('503');
  });
});

describe('viewer-request headers', () => {
  const kvs = memoryKvs();
  const configKey = kvs.deploy(PROD, 'dpl_prod', { cleanUrls: true });
  kvs.deploy(`plain.${DOMAIN}`, 'dpl_plain');
  const router = edge(kvs);

  async function headersOf(host: string, uri: string, headers?: Record<string, string>) {
    const result = await router.request({ host, uri, headers });
    if (result.kind !== 'request') throw new Error('expected a rewritten request');
    return Object.fromEntries(Object.entries(result.request.headers).map(([k, v]) => [k, v.value]));
  }

  test('adds x-runway-deployment with the deployment id', async () => {
    expect((await headersOf(PROD, '/about'))['x-runway-deployment']).toBe('dpl_prod');
  });

  test('passes the requested path (before rewriting) in x-runway-path', async () => {
    expect((await headersOf(PROD, '/about'))['x-runway-path']).toBe('/about');
  });

  test('passes the config key in x-runway-config', async () => {
    expect((await headersOf(PROD, '/about'))['x-runway-config']).toBe(configKey);
  });

  test('drops an x-runway-config header sent by the viewer when the deployment has no config', async () => {
    const headers = await headersOf(`plain.${DOMAIN}`, '/', { 'x-runway-config': configKey ?? '' });
    expect(headers['x-runway-config']).toBeUndefined();
  });

  test('overwrites an x-runway-deployment header sent by the viewer', async () => {
    const headers = await headersOf(`plain.${DOMAIN}`, '/', { 'x-runway-deployment': 'dpl_prod' });
    expect(headers['x-runway-deployment']).toBe('dpl_plain');
  });
});

describe('viewer-request invariant', () => {
  const kvs = memoryKvs();
  kvs.deploy(PROD, 'dpl_prod', { rewrites: [{ source: '/r/:rest*', destination: '/x/:rest*' }] });
  const router = edge(kvs);
  const pieces = ['/', '.', '..', '%2e', '%2E', '%2f', '%5c', '\\', '%00', '%', 'a', 'b.js', '%252e', '//', 'r/'];

  test('every rewritten uri stays under /d/<id>/ and has no dot segment once decoded', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...pieces), { maxLength: 12 }), async (parts) => {
        const result = await router.request({ host: PROD, uri: `/${parts.join('')}` });
        if (result.kind === 'response') return;
        const uri = result.request.uri;
        expect(uri.startsWith('/d/dpl_prod/')).toBe(true);
        expect(uri).not.toContain('..');
        expect(decodeURIComponent(uri).split('/')).not.toContain('..');
      }),
      { numRuns: 300 },
    );
  });
});
