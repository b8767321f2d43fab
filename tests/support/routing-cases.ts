import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The routing conformance cases: one data module, run against the router alone
 * (tests/unit/routing/conformance.test.ts) and through the local edge (integration).
 *
 * Each case is a deployment (its static files and either its vercel.json / runway.json, or a
 * `.vercel/output/config.json` a framework would write) and one request with Vercel's answer:
 * - the folders of tests/fixtures/routing (copied from shared/cases/routing, expected values from
 *   its README, i.e. Vercel's behaviour);
 * - the cleanUrls × trailingSlash matrix for /file, /file/, /file.html, /folder, /folder/,
 *   /folder/index.html: the redirects are the routes `@vercel/routing-utils` generates (see
 *   `getCleanUrls` / `trailingSlash` in its superstatic.ts), the files are what the filesystem phase
 *   serves with the overrides `vercel build` writes for cleanUrls (an `.html` file served without
 *   its extension, packages/cli/src/util/build/write-build-result.ts `writeStaticFile`);
 * - one case (or more) per route field.
 */

export interface RoutingCaseRequest {
  method?: string;
  /** Raw path, percent-encoded as sent. */
  path: string;
  /** Raw query, without "?". */
  query?: string;
  host?: string;
  /** Lower-case names. */
  headers?: Record<string, string>;
}

export interface RoutingCaseExpected {
  status: number;
  /** Redirects: the `Location` header. */
  location?: string;
  /** The static file whose bytes are the body (a 200 page or the 404 page). */
  file?: string;
  /** Headers that must be on the response (lower-case names), with their values. */
  headers?: Record<string, string>;
  /** External rewrites: the URL the edge proxies to. */
  external?: string;
  /** Content type set by an override. */
  contentType?: string;
  /** A function answers: its name, and the path and query it is asked for. */
  function?: { name: string; path: string; query: string; matchedPath?: string; requestTransforms?: unknown[] };
}

export interface RoutingCase {
  name: string;
  /** Static files, path (no leading "/") → content. */
  files: Record<string, string>;
  vercelJson?: unknown;
  runwayJson?: unknown;
  /** A framework's own `.vercel/output/config.json` (instead of vercel.json). */
  config?: unknown;
  /** Functions of the deployment: function path (no leading "/") → function name (`functions/<path>.func`). */
  functions?: Record<string, string>;
  request: RoutingCaseRequest;
  expected: RoutingCaseExpected;
  /** Where the expected value comes from, when it is not plain Vercel documentation. */
  source?: string;
}

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'routing');

/** The files of one fixture folder (its vercel.json not included), path → content. */
export function fixtureFiles(folder: string): Record<string, string> {
  const root = path.join(FIXTURES, folder);
  const out: Record<string, string> = {};
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else {
        const rel = path.relative(root, full).split(path.sep).join('/');
        if (rel !== 'vercel.json') out[rel] = fs.readFileSync(full, 'utf8');
      }
    }
  };
  walk(root);
  return out;
}

/** The fixture folder's vercel.json, parsed, or undefined. */
export function fixtureVercelJson(folder: string): unknown {
  const file = path.join(FIXTURES, folder, 'vercel.json');
  return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : undefined;
}

const fixture = (folder: string, request: RoutingCaseRequest | string, expected: RoutingCaseExpected, name?: string): RoutingCase => {
  const req = typeof request === 'string' ? { path: request } : request;
  const vercelJson = fixtureVercelJson(folder);
  return {
    name: `${folder}: ${name ?? `${req.method ?? 'GET'} ${req.path}${req.query ? `?${req.query}` : ''}`}`,
    files: fixtureFiles(folder),
    ...(vercelJson !== undefined ? { vercelJson } : {}),
    request: req,
    expected,
  };
};

const ok = (file: string): RoutingCaseExpected => ({ status: 200, file });
const moved = (location: string): RoutingCaseExpected => ({ status: 308, location });

/** shared/cases/routing/README.md, row by row. */
export const sharedCases: RoutingCase[] = [
  fixture('clean-urls-no-slash', '/folder', ok('folder/index.html')),
  fixture('clean-urls-no-slash', '/folder/', moved('/folder')),
  fixture('clean-urls-no-slash', '/folder/index.html', moved('/folder')),
  fixture('clean-urls-slash', '/folder/', ok('folder/index.html')),
  fixture('clean-urls-slash', '/folder', moved('/folder/')),
  fixture('clean-urls-only', '/folder/index.html', moved('/folder')),
  fixture('clean-urls-only', '/folder', ok('folder/index.html')),
  fixture('rewrite-vs-index', '/', ok('index.html')),
  fixture('rewrite-vs-index', '/app', ok('index.html')),
  fixture('spa-fallback', '/docs/', ok('docs/index.html')),
  fixture('spa-fallback', '/docs', ok('docs/index.html')),
  fixture('spa-fallback', '/some/client/route', ok('index.html')),
  fixture('spa-fallback', '/assets/app-1a2b3c4d.js', ok('assets/app-1a2b3c4d.js')),
  fixture('dots-in-names', '/_astro/_...slug_.7d33a135.css', ok('_astro/_...slug_.7d33a135.css')),
  fixture('dots-in-names', '/assets/_...404_-DdAS84x5.js', ok('assets/_...404_-DdAS84x5.js')),
  fixture('dots-in-names', '/_next/static/chunks/pages/[...slug]-0a1b2c3d4e5f.js', ok('_next/static/chunks/pages/[...slug]-0a1b2c3d4e5f.js')),
  fixture('dots-in-names', '/_next/static/chunks/pages/%5B...slug%5D-0a1b2c3d4e5f.js', ok('_next/static/chunks/pages/[...slug]-0a1b2c3d4e5f.js')),
  fixture('dots-in-names', '/index.html', ok('index.html')),
  // A ".." segment is refused, escaped or not; ".." inside a name above is not a segment.
  fixture('dots-in-names', '/assets/../index.html', { status: 400 }),
  fixture('dots-in-names', '/assets/%2e%2e/index.html', { status: 400 }),
  fixture('dots-in-names', '/assets/%2E%2E%2Findex.html', { status: 400 }),
  ...['/no-such-page', '/'].map((p) =>
    fixture('headers-on-404', p, {
      status: p === '/' ? 200 : 404,
      file: p === '/' ? 'index.html' : '404.html',
      headers: { 'x-frame-options': 'DENY', 'content-security-policy': "default-src 'self'", 'strict-transport-security': 'max-age=63072000' },
    }),
  ),
  fixture('has-condition', { path: '/', query: 'page=docs' }, { status: 307, location: '/docs.html' }),
  fixture('has-condition', '/', ok('index.html')),
  fixture('has-condition', { path: '/', query: 'page=other' }, ok('index.html')),
];

const MATRIX_FILES = { 'index.html': '<p>root</p>', 'file.html': '<p>file.html</p>', 'folder/index.html': '<p>folder/index.html</p>' };
const MATRIX_PATHS = ['/file', '/file/', '/file.html', '/folder', '/folder/', '/folder/index.html'] as const;
type MatrixPath = (typeof MATRIX_PATHS)[number];
const notFound: RoutingCaseExpected = { status: 404 };

/**
 * Expected answers per (cleanUrls, trailingSlash). Redirects: routing-utils' routes. Files: the
 * filesystem phase (a directory serves its index.html; with cleanUrls an .html file serves without
 * its extension; a trailing "/" on a file is tolerated when no route redirects it — the dev
 * server's `trimmedPath`).
 */
const MATRIX: Array<{ cleanUrls: boolean; trailingSlash?: boolean; expected: Record<MatrixPath, RoutingCaseExpected> }> = [
  {
    cleanUrls: false,
    expected: { '/file': notFound, '/file/': notFound, '/file.html': ok('file.html'), '/folder': ok('folder/index.html'), '/folder/': ok('folder/index.html'), '/folder/index.html': ok('folder/index.html') },
  },
  {
    cleanUrls: false,
    trailingSlash: false,
    expected: { '/file': notFound, '/file/': moved('/file'), '/file.html': ok('file.html'), '/folder': ok('folder/index.html'), '/folder/': moved('/folder'), '/folder/index.html': ok('folder/index.html') },
  },
  {
    cleanUrls: false,
    trailingSlash: true,
    expected: { '/file': moved('/file/'), '/file/': notFound, '/file.html': ok('file.html'), '/folder': moved('/folder/'), '/folder/': ok('folder/index.html'), '/folder/index.html': ok('folder/index.html') },
  },
  {
    cleanUrls: true,
    expected: { '/file': ok('file.html'), '/file/': ok('file.html'), '/file.html': moved('/file'), '/folder': ok('folder/index.html'), '/folder/': ok('folder/index.html'), '/folder/index.html': moved('/folder') },
  },
  {
    cleanUrls: true,
    trailingSlash: false,
    expected: { '/file': ok('file.html'), '/file/': moved('/file'), '/file.html': moved('/file'), '/folder': ok('folder/index.html'), '/folder/': moved('/folder'), '/folder/index.html': moved('/folder') },
  },
  {
    cleanUrls: true,
    trailingSlash: true,
    expected: { '/file': moved('/file/'), '/file/': ok('file.html'), '/file.html': moved('/file/'), '/folder': moved('/folder/'), '/folder/': ok('folder/index.html'), '/folder/index.html': moved('/folder/') },
  },
];

/** The full cleanUrls × trailingSlash matrix (36 cases). */
export const matrixCases: RoutingCase[] = MATRIX.flatMap(({ cleanUrls, trailingSlash, expected }) =>
  MATRIX_PATHS.map((p) => ({
    name: `cleanUrls ${cleanUrls} × trailingSlash ${trailingSlash ?? 'unset'}: ${p}`,
    files: MATRIX_FILES,
    vercelJson: { cleanUrls, ...(trailingSlash !== undefined ? { trailingSlash } : {}) },
    request: { path: p },
    expected: expected[p],
  })),
);

const site = { 'index.html': 'home', 'about.html': 'about', 'docs/index.html': 'docs', '404.html': 'not found', 'blog/post.html': 'post', 'data.json': '{}' };
const boa = (routes: unknown[], extra: Record<string, unknown> = {}) => ({ version: 3, routes, ...extra });

/** One case (or more) per route field, on BOA configs as frameworks write them and on vercel.json. */
export const fieldCases: RoutingCase[] = [
  // continue + headers: every matching header route applies, later ones override.
  {
    name: 'continue: header routes all apply, a later one overrides',
    files: site,
    config: boa([
      { src: '^/(.*)$', headers: { 'x-a': '1', 'x-b': '1' }, continue: true },
      { src: '^/about\\.html$', headers: { 'x-b': '2' }, continue: true },
    ]),
    request: { path: '/about.html' },
    expected: { status: 200, file: 'about.html', headers: { 'x-a': '1', 'x-b': '2' } },
  },
  {
    name: 'continue: a rewrite with continue changes the path for later routes and the filesystem',
    files: site,
    config: boa([{ src: '^/old-about$', dest: '/about.html', continue: true }, { src: '^/about\\.html$', headers: { 'x-seen': 'about' }, continue: true }]),
    request: { path: '/old-about' },
    expected: { status: 200, file: 'about.html', headers: { 'x-seen': 'about' } },
  },
  // dest with numbered and named captures.
  {
    name: 'dest: $1 inserts the first capture',
    files: site,
    config: boa([{ handle: 'filesystem' }, { src: '^/posts/([^/]+)$', dest: '/blog/$1.html', check: true }]),
    request: { path: '/posts/post' },
    expected: { status: 200, file: 'blog/post.html' },
  },
  {
    name: 'dest: $name inserts a named capture',
    files: site,
    config: boa([{ handle: 'filesystem' }, { src: '^/p/(?<slug>[^/]+)$', dest: '/blog/$slug.html', check: true }]),
    request: { path: '/p/post' },
    expected: { status: 200, file: 'blog/post.html' },
  },
  {
    name: 'dest: vercel.json ":slug" rewrite compiles to the same',
    files: site,
    vercelJson: { rewrites: [{ source: '/p/:slug', destination: '/blog/:slug.html' }] },
    request: { path: '/p/post' },
    expected: { status: 200, file: 'blog/post.html' },
  },
  {
    name: 'dest: a query string on a file rewrite still serves the file',
    files: site,
    vercelJson: { rewrites: [{ source: '/a', destination: '/about.html?from=a' }] },
    request: { path: '/a', query: 'x=1' },
    expected: { status: 200, file: 'about.html' },
  },
  // External URLs and their query strings.
  {
    name: 'dest: an external URL is proxied with the request query merged (request keys win)',
    files: site,
    vercelJson: { rewrites: [{ source: '/api/:path*', destination: 'https://api.example.com/:path*?v=1&k=dest' }] },
    request: { path: '/api/users/7', query: 'k=req' },
    expected: { status: 200, external: 'https://api.example.com/users/7?v=1&k=req' },
  },
  // status
  {
    name: 'status: a bare status answers with it (and no file)',
    files: site,
    config: boa([{ src: '^/private(?:/.*)?$', status: 403 }]),
    request: { path: '/private/x' },
    expected: { status: 403 },
  },
  {
    name: 'status: dest + status serves the file with that status',
    files: site,
    config: boa([{ handle: 'filesystem' }, { src: '^/gone$', dest: '/404.html', status: 410 }]),
    request: { path: '/gone' },
    expected: { status: 410, file: '404.html' },
  },
  // Redirects
  {
    name: 'redirect: status + Location header, captures substituted',
    files: site,
    config: boa([{ src: '^/old/(.*)$', headers: { Location: '/new/$1' }, status: 301 }]),
    request: { path: '/old/a/b' },
    expected: { status: 301, location: '/new/a/b' },
  },
  {
    name: 'redirect: vercel.json permanent redirect to an external URL',
    files: site,
    vercelJson: { redirects: [{ source: '/docs/:path*', destination: 'https://docs.example.com/:path*' }] },
    request: { path: '/docs/intro' },
    expected: { status: 308, location: 'https://docs.example.com/intro' },
  },
  {
    name: 'redirect: statusCode 302',
    files: site,
    vercelJson: { redirects: [{ source: '/tmp', destination: '/about.html', statusCode: 302 }] },
    request: { path: '/tmp' },
    expected: { status: 302, location: '/about.html' },
  },
  // methods
  {
    name: 'methods: the route applies to a listed method, compared case-insensitively',
    files: site,
    config: boa([{ src: '^/form$', methods: ['post'], status: 405 }, { handle: 'filesystem' }, { src: '^/form$', dest: '/about.html' }]),
    request: { method: 'POST', path: '/form' },
    expected: { status: 405 },
  },
  {
    name: 'methods: another method skips the route',
    files: site,
    config: boa([{ src: '^/form$', methods: ['POST'], status: 405 }, { handle: 'filesystem' }, { src: '^/form$', dest: '/about.html' }]),
    request: { method: 'GET', path: '/form' },
    expected: { status: 200, file: 'about.html' },
  },
  // has / missing on each type
  ...(
    [
      ['host', { type: 'host', value: 'beta\\.example\\.com' }, { host: 'beta.example.com:443' }, { host: 'www.example.com' }],
      ['header', { type: 'header', key: 'X-Beta', value: 'on|yes' }, { headers: { 'x-beta': 'yes' } }, { headers: { 'x-beta': 'no' } }],
      ['cookie', { type: 'cookie', key: 'beta', value: '1' }, { headers: { cookie: 'a=b; beta=1' } }, { headers: { cookie: 'beta=10' } }],
      ['query', { type: 'query', key: 'beta' }, { query: 'beta' }, { query: 'alpha=1' }],
    ] as const
  ).flatMap(([type, item, yes, no]) => [
    {
      name: `has ${type}: matches`,
      files: site,
      vercelJson: { redirects: [{ source: '/', has: [item], destination: '/about.html', permanent: false }] },
      request: { path: '/', ...yes },
      expected: { status: 307, location: '/about.html' },
    },
    {
      name: `has ${type}: does not match`,
      files: site,
      vercelJson: { redirects: [{ source: '/', has: [item], destination: '/about.html', permanent: false }] },
      request: { path: '/', ...no },
      expected: ok('index.html'),
    },
    {
      name: `missing ${type}: present → the rule is skipped`,
      files: site,
      vercelJson: { redirects: [{ source: '/', missing: [item], destination: '/about.html', permanent: false }] },
      request: { path: '/', ...yes },
      expected: ok('index.html'),
    },
  ]),
  {
    name: 'has: a named group of a condition value is usable in the destination',
    files: site,
    vercelJson: { redirects: [{ source: '/go', has: [{ type: 'query', key: 'to', value: '(?<to>about|docs)' }], destination: '/:to', permanent: false }] },
    request: { path: '/go', query: 'to=docs' },
    expected: { status: 307, location: '/docs' },
  },
  {
    name: 'has: an object value (eq) compares exactly',
    files: site,
    config: boa([{ src: '^/$', has: [{ type: 'header', key: 'x-n', value: { eq: '5' } }], status: 418 }]),
    request: { path: '/', headers: { 'x-n': '5' } },
    expected: { status: 418 },
  },
  // check + miss
  {
    name: 'check: a destination that is no file goes on to the next route',
    files: site,
    config: boa([{ handle: 'filesystem' }, { src: '^/x$', dest: '/nope.html', check: true }, { src: '^/nope\\.html$', dest: '/about.html', check: true }]),
    request: { path: '/x' },
    expected: ok('about.html'),
  },
  {
    name: 'miss: routes after handle miss run when the filesystem finds nothing',
    files: site,
    config: boa([{ handle: 'filesystem' }, { handle: 'miss' }, { src: '^/_next/static/.+$', status: 404, headers: { 'x-miss': '1' } }]),
    request: { path: '/_next/static/chunks/gone.js' },
    expected: { status: 404, file: '404.html', headers: { 'x-miss': '1' } },
  },
  {
    name: 'rewrite: routes after handle rewrite (dynamic routes) run after miss',
    files: site,
    config: boa([{ handle: 'filesystem' }, { handle: 'rewrite' }, { src: '^/blog/(?<slug>[^/]+)$', dest: '/blog/post.html', check: true }]),
    request: { path: '/blog/anything' },
    expected: ok('blog/post.html'),
  },
  // hit
  {
    name: 'hit: headers of hit routes apply to files, never replacing an earlier one',
    files: { ...site, 'assets/app-abc.js': 'x' },
    config: boa([
      { src: '^/assets/(.*)$', headers: { 'x-early': 'kept' }, continue: true },
      { handle: 'filesystem' },
      { handle: 'hit' },
      { src: '^/assets/(.*)$', headers: { 'cache-control': 'public, max-age=31536000, immutable', 'x-early': 'replaced' }, continue: true },
    ]),
    request: { path: '/assets/app-abc.js' },
    expected: { status: 200, file: 'assets/app-abc.js', headers: { 'cache-control': 'public, max-age=31536000, immutable', 'x-early': 'kept' } },
  },
  // error
  {
    name: 'error: an error route serves its destination with its status',
    files: { 'index.html': 'home', 'errors/missing.html': 'custom' },
    config: boa([{ handle: 'filesystem' }, { handle: 'error' }, { src: '^/.*$', dest: '/errors/missing.html', status: 404 }]),
    request: { path: '/nope' },
    expected: { status: 404, file: 'errors/missing.html' },
  },
  {
    name: 'error: without an error route a 404 serves 404.html when the deployment has it',
    files: site,
    config: boa([]),
    request: { path: '/nope' },
    expected: { status: 404, file: '404.html' },
  },
  {
    name: 'error: without 404.html a 404 has no file',
    files: { 'index.html': 'home' },
    config: boa([]),
    request: { path: '/nope' },
    expected: { status: 404 },
  },
  // overrides
  {
    name: 'overrides: a file served at another path with a content type',
    files: { 'index.html': 'home', 'feed.xml.txt': '<rss/>' },
    config: boa([], { overrides: { 'feed.xml.txt': { path: 'feed', contentType: 'application/rss+xml' } } }),
    request: { path: '/feed' },
    expected: { status: 200, file: 'feed.xml.txt', contentType: 'application/rss+xml' },
  },
  {
    name: 'overrides: the moved file is not served at its own path',
    files: { 'index.html': 'home', 'feed.xml.txt': '<rss/>' },
    config: boa([], { overrides: { 'feed.xml.txt': { path: 'feed', contentType: 'application/rss+xml' } } }),
    request: { path: '/feed.xml.txt' },
    expected: { status: 404 },
  },
  // runway.json spa
  {
    name: 'runway.json spa: an extension-less path no file serves gets index.html',
    files: site,
    runwayJson: { spa: true },
    request: { path: '/app/settings' },
    expected: ok('index.html'),
  },
  {
    name: 'runway.json spa: a missing asset (with an extension) stays a 404',
    files: site,
    runwayJson: { spa: true },
    request: { path: '/missing.js' },
    expected: { status: 404, file: '404.html' },
  },
];

/** Every case. */
export const routingCases: RoutingCase[] = [...sharedCases, ...matrixCases, ...fieldCases];

const fn = (name: string, path: string, query = '') => ({ status: 200, function: { name, path, query } });

/**
 * Functions in the filesystem phase, as Build Output API v3 serves `functions/<path>.func` at
 * `/<path>` (https://vercel.com/docs/build-output-api/primitives#serverless-functions), on the route
 * tables frameworks write. Kept apart from {@link routingCases} until the local edge runs functions.
 */
export const functionCases: RoutingCase[] = [
  {
    name: 'functions: a function is found at its path',
    files: site,
    functions: { 'api/hello': 'api/hello' },
    config: boa([]),
    request: { path: '/api/hello', query: 'name=Ada' },
    expected: fn('api/hello', '/api/hello', 'name=Ada'),
  },
  {
    name: 'functions: a trailing slash is tolerated, as for a file',
    files: site,
    functions: { 'api/hello': 'api/hello' },
    config: boa([]),
    request: { path: '/api/hello/' },
    expected: fn('api/hello', '/api/hello/'),
  },
  {
    name: 'functions: a .func symlink serves the same function at its own path',
    files: site,
    functions: { 'api/hello': 'api/hello', 'api/hi': 'api/hello' },
    config: boa([]),
    request: { path: '/api/hi' },
    expected: fn('api/hello', '/api/hi'),
  },
  {
    name: 'functions: the function index serves "/" when no index.html does',
    files: { 'about.html': 'about' },
    functions: { index: 'index' },
    config: boa([]),
    request: { path: '/' },
    expected: fn('index', '/'),
  },
  {
    name: 'functions: a directory path serves its index function (zero-config api/index.ts at /api)',
    files: site,
    functions: { 'api/index': 'api/index' },
    config: boa([]),
    request: { path: '/api' },
    expected: fn('api/index', '/api'),
  },
  {
    name: 'functions: a static file wins over a function at the same path',
    files: { ...site, 'api/hello': 'static hello' },
    functions: { 'api/hello': 'api/hello' },
    config: boa([]),
    request: { path: '/api/hello' },
    expected: ok('api/hello'),
  },
  {
    name: 'functions: SvelteKit catch-all after the filesystem rewrites to /fn; the function sees the request path and query',
    files: { '_app/immutable/start.js': 'js', 'favicon.png': 'png' },
    functions: { fn: 'fn' },
    config: boa([{ handle: 'filesystem' }, { src: '/.*', dest: '/fn' }]),
    request: { path: '/about', query: 'tab=2' },
    expected: fn('fn', '/about', 'tab=2'),
    source: '@sveltejs/adapter-vercel writes {src: "/.*", dest: "/fn"} after handle: filesystem',
  },
  {
    name: 'functions: a static asset is served before the catch-all function',
    files: { '_app/immutable/start.js': 'js' },
    functions: { fn: 'fn' },
    config: boa([{ handle: 'filesystem' }, { src: '/.*', dest: '/fn' }]),
    request: { path: '/_app/immutable/start.js' },
    expected: ok('_app/immutable/start.js'),
  },
  {
    name: 'functions: a dynamic route rewrites to the function with its parameter in the query',
    files: site,
    functions: { 'api/users/[id]': 'api/users/[id]' },
    config: boa([{ handle: 'filesystem' }, { src: '^/api/users/([^/]+?)/?$', dest: '/api/users/[id]?id=$1', check: true }]),
    request: { path: '/api/users/42', query: 'x=1' },
    expected: fn('api/users/[id]', '/api/users/42', 'id=42&x=1'),
    source: 'vercel/vercel packages/fs-detectors detect-builders getApiRoute writes {src, dest: "/api/users/[id]?id=$1", check: true}',
  },
  {
    name: 'functions: the request query wins over the route query of the same key',
    files: site,
    functions: { 'api/users/[id]': 'api/users/[id]' },
    config: boa([{ handle: 'filesystem' }, { src: '^/api/users/([^/]+?)/?$', dest: '/api/users/[id]?id=$1', check: true }]),
    request: { path: '/api/users/42', query: 'id=7' },
    expected: fn('api/users/[id]', '/api/users/42', 'id=7'),
  },
  {
    name: 'functions: header routes before the filesystem apply to a function answer',
    files: site,
    functions: { 'api/hello': 'api/hello' },
    config: boa([{ src: '^/api/(.*)$', headers: { 'x-api': 'yes' }, continue: true }]),
    request: { path: '/api/hello' },
    expected: { ...fn('api/hello', '/api/hello'), headers: { 'x-api': 'yes' } },
  },
  {
    name: 'functions: a request.query transform deletes what a visitor sent; a later rewrite sets it (SvelteKit ISR __pathname)',
    files: site,
    functions: { 'blog/[slug]': 'blog/[slug]' },
    config: boa([
      { src: '.*', continue: true, transforms: [{ type: 'request.query', op: 'delete', target: { key: '__pathname' } }] },
      { handle: 'filesystem' },
      { src: '^/blog/([^/]+?)/?$', dest: '/blog/[slug]?__pathname=/blog/$1' },
    ]),
    request: { path: '/blog/hi', query: '__pathname=/evil&a=1' },
    expected: fn('blog/[slug]', '/blog/hi', '__pathname=%2Fblog%2Fhi&a=1'),
    source: '@sveltejs/adapter-vercel 6.3.4 writes the delete transform on its first route and __pathname on each ISR route',
  },
  {
    name: 'functions: request.query transforms set and append',
    files: site,
    functions: { 'api/hello': 'api/hello' },
    config: boa([
      { src: '^/api/(.*)$', continue: true, transforms: [{ type: 'request.query', op: 'set', target: { key: 'a' }, args: 'x' }, { type: 'request.query', op: 'append', target: { key: 'b' }, args: ['1', '2'] }] },
    ]),
    request: { path: '/api/hello', query: 'a=1&a=2' },
    expected: fn('api/hello', '/api/hello', 'a=x&b=1&b=2'),
  },
  {
    name: 'functions: x-matched-path is the function path found, not the name of the function a .func symlink leads to',
    files: { 'about.html': 'about' },
    functions: { index: 'guestbook', guestbook: 'guestbook' },
    config: boa([]),
    request: { path: '/' },
    expected: { status: 200, function: { name: 'guestbook', path: '/', query: '', matchedPath: '/index' } },
    source: 'vercel build groups Next.js pages into one function: functions/index.func -> guestbook.func; Next.js minimal mode renders the page x-matched-path names',
  },
  {
    name: 'functions: request.headers transforms reach the function; response.headers transforms the answer (Next.js server actions)',
    files: site,
    functions: { guestbook: 'guestbook' },
    config: boa([
      { src: '/(.*)', has: [{ type: 'header', key: 'next-action', value: 'abc' }], transforms: [{ type: 'request.headers', op: 'append', target: { key: 'x-server-action-name' }, args: 'app/page.js#sign' }], continue: true },
      { src: '/(.*)', transforms: [{ type: 'response.headers', op: 'set', target: { key: 'X-Frame' }, args: 'deny' }], continue: true },
    ]),
    request: { path: '/guestbook', headers: { 'next-action': 'abc' } },
    expected: {
      status: 200,
      function: { name: 'guestbook', path: '/guestbook', query: '', requestTransforms: [{ type: 'request.headers', op: 'append', target: { key: 'x-server-action-name' }, args: 'app/page.js#sign' }] },
      headers: { 'x-frame': 'deny' },
    },
    source: 'next 16.2.9 through vercel build 58.10.0 writes the x-server-action-name transform (the route has no continue there; here it does, to reach the function)',
  },
  {
    name: 'functions: an error route to a function keeps the error status',
    files: { 'about.html': 'about' },
    functions: { _error: '_error' },
    config: boa([{ handle: 'filesystem' }, { handle: 'error' }, { src: '/.*', dest: '/_error', status: 404 }]),
    request: { path: '/missing' },
    expected: { status: 404, function: { name: '_error', path: '/missing', query: '' } },
    source: 'Next.js output: {handle: "error"}, {src: "/.*", dest: "/404", status: 404}, the 404 page rendered by a function',
  },
  {
    name: 'functions: a path that names no file and no function is a 404',
    files: site,
    functions: { 'api/hello': 'api/hello' },
    config: boa([]),
    request: { path: '/api/other' },
    expected: { status: 404, file: '404.html' },
  },
];
