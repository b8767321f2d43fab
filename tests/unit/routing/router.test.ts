import { describe, expect, test } from 'vitest';
import { pathProblem } from '../../../functions/src/core/build/contract.ts';
import { FilePath } from '../../../functions/src/core/deployment/files.ts';
import { assertSafeRelativePath } from '../../../functions/src/builder/paths.ts';
import { compileBuildOutputConfig, parseBuildOutputConfig, MAX_ROUTES } from '../../../functions/src/core/routing/config.ts';
import { DEFAULT_MAX_STEPS, prepareRoutes, requestFilePath, route, type RouteRequest } from '../../../functions/src/core/routing/router.ts';

/**
 * Decisions taken where Vercel does not document the behaviour: each test names its source —
 * "dev router" = vercel/vercel packages/cli/src/util/dev/router.ts, "dev server" = …/dev/server.ts —
 * or says it is Runway's own choice.
 */
const req = (path: string, extra: Partial<RouteRequest> = {}): RouteRequest => ({ method: 'GET', path, query: '', host: 'example.com', headers: {}, ...extra });
const files = (...paths: string[]) => new Set(paths);
const boa = (routes: unknown[], extra: Record<string, unknown> = {}) => prepareRoutes(parseBuildOutputConfig({ version: 3, routes, ...extra }));

describe('decisions from the dev router / dev server', () => {
  test('dev router: the status of a continue route is kept for the answer', () => {
    const r = route(boa([{ src: '^/old$', status: 410, continue: true }]), files('old'), req('/old'));
    expect(r).toMatchObject({ kind: 'file', path: 'old', status: 410 });
  });

  test('dev router: "$name" is a named group, "$1" a number, an unknown capture is empty', () => {
    const config = boa([{ src: '^/(?<a>x)/(y)$', headers: { Location: '/$a/$2/$zz/$9' }, status: 307 }]);
    expect(route(config, files(), req('/x/y'))).toMatchObject({ kind: 'redirect', location: '/x/y//' });
  });

  test('dev router: header values take captures like destinations', () => {
    const r = route(boa([{ src: '^/u/(?<id>\\d+)$', headers: { 'X-User': 'user-$id' }, continue: true }]), files('u/1'), req('/u/1'));
    expect(r.headers['x-user']).toBe('user-1');
  });

  test('dev router: in hit, miss and error an earlier header is not overridden', () => {
    const config = boa([
      { src: '^/.*$', headers: { 'x-a': 'early' }, continue: true },
      { handle: 'filesystem' },
      { handle: 'error' },
      { src: '^/.*$', headers: { 'x-a': 'late', 'x-b': 'late' } },
    ]);
    expect(route(config, files(), req('/missing')).headers).toEqual({ 'x-a': 'early', 'x-b': 'late' });
  });

  test('dev router: a rewrite query is merged under the request query (the request keys win)', () => {
    const config = boa([{ handle: 'filesystem' }, { src: '^/p$', dest: 'https://o.example.com/p?a=dest&b=dest' }]);
    expect(route(config, files(), req('/p', { query: 'a=req&c=req' }))).toEqual({ kind: 'external', url: 'https://o.example.com/p?b=dest&a=req&c=req', headers: {} });
  });

  test('dev router: a check destination that is no file goes on with the destination as the path', () => {
    const config = boa([{ handle: 'filesystem' }, { src: '^/a$', dest: '/b', check: true }, { src: '^/b$', dest: '/c.html', check: true }]);
    expect(route(config, files('c.html'), req('/a'))).toMatchObject({ kind: 'file', path: 'c.html' });
  });

  test('dev router: a check route with a status whose destination is no file answers that status (exit_with_status)', () => {
    const config = boa([
      { handle: 'filesystem' },
      { handle: 'miss' },
      { src: '^/_next/static/.+$', status: 404, check: true, dest: '$0' },
      { handle: 'rewrite' },
      { src: '^/(?<slug>.+?)(?:/)?$', dest: '/[...slug].html', check: true },
    ]);
    expect(route(config, files('[...slug].html', '_next/static/a.js'), req('/_next/static/gone.js'))).toEqual({ kind: 'error', status: 404, headers: {} });
    expect(route(config, files('[...slug].html', '_next/static/a.js'), req('/_next/static/a.js'))).toMatchObject({ kind: 'file', path: '_next/static/a.js' });
    expect(route(config, files('[...slug].html'), req('/any/page'))).toMatchObject({ kind: 'file', path: '[...slug].html' });
  });

  test('dev router: the redirect Location is the route header as is (the request query is not added)', () => {
    const config = prepareRoutes(compileBuildOutputConfig({ vercelJson: { redirects: [{ source: '/a', destination: '/b' }] } }));
    expect(route(config, files(), req('/a', { query: 'x=1' }))).toMatchObject({ kind: 'redirect', status: 308, location: '/b' });
  });

  test('dev router: a match without dest, status or continue ends the phase (trailingSlash keeps /.well-known as is)', () => {
    const config = prepareRoutes(compileBuildOutputConfig({ vercelJson: { trailingSlash: true } }));
    expect(route(config, files('.well-known/security.txt'), req('/.well-known/security.txt'))).toMatchObject({ kind: 'file', path: '.well-known/security.txt' });
    expect(route(config, files(), req('/docs'))).toMatchObject({ kind: 'redirect', location: '/docs/' });
  });

  test('dev server: vercel.json routes match case-sensitively (hasNewRoutingProperties), BOA routes without caseSensitive do not', () => {
    const fromVercelJson = prepareRoutes(compileBuildOutputConfig({ vercelJson: { redirects: [{ source: '/About', destination: '/x' }] } }));
    expect(route(fromVercelJson, files(), req('/about')).kind).toBe('error');
    expect(route(fromVercelJson, files(), req('/About')).kind).toBe('redirect');
    const framework = boa([{ src: '^/About$', headers: { Location: '/x' }, status: 308 }]);
    expect(route(framework, files(), req('/about')).kind).toBe('redirect');
  });

  test('dev server: a trailing "/" on a file is tolerated when no route redirects it (trimmedPath)', () => {
    expect(route(boa([]), files('about.html'), req('/about.html/'))).toMatchObject({ kind: 'file', path: 'about.html' });
  });

  test('Runway: methods compare case-insensitively (the dev router compares them exactly)', () => {
    const config = boa([{ src: '^/f$', methods: ['Post'], status: 405 }]);
    expect(route(config, files(), req('/f', { method: 'post' }))).toMatchObject({ kind: 'error', status: 405 });
    expect(route(config, files(), req('/f', { method: 'GET' }))).toMatchObject({ kind: 'error', status: 404 });
  });

  test('Runway: an error route applies to its own status only (Next.js writes /404 for 404 and /500 for 500)', () => {
    const config = boa([
      { src: '^/secret$', status: 403 },
      { handle: 'error' },
      { src: '^/.*$', dest: '/404.html', status: 404 },
      { src: '^/.*$', dest: '/500.html', status: 500 },
    ]);
    expect(route(config, files('404.html', '500.html'), req('/secret'))).toEqual({ kind: 'error', status: 403, headers: {} });
    expect(route(config, files('404.html', '500.html'), req('/nope'))).toEqual({ kind: 'error', status: 404, file: '404.html', headers: {} });
  });

  test('Runway: a has condition string must match the whole value (as Next.js matchHas anchors it)', () => {
    const config = boa([{ src: '^/$', has: [{ type: 'header', key: 'x-v', value: 'on' }], status: 418 }]);
    expect(route(config, files('index.html'), req('/', { headers: { 'x-v': 'on' } })).kind).toBe('error');
    expect(route(config, files('index.html'), req('/', { headers: { 'x-v': 'only' } })).kind).toBe('file');
  });
});

describe('functions in the filesystem phase', () => {
  const withFns = (fns: Record<string, string>, ...paths: string[]) => ({ has: (p: string) => paths.includes(p), fn: (p: string) => fns[p] });

  test('Runway: a static file wins over a function at the same path (Vercel documents no order; frameworks write one or the other)', () => {
    expect(route(boa([]), withFns({ about: 'about' }, 'about'), req('/about'))).toMatchObject({ kind: 'file', path: 'about' });
    expect(route(boa([]), withFns({ about: 'about' }), req('/about'))).toMatchObject({ kind: 'function', name: 'about' });
  });

  test('dev server: a function behind a rewrite is asked for the request\'s own path, with the query the route built', () => {
    // server.ts proxies to a function with `pathname: origUrl.pathname` and the routing query mixed
    // in: an Express app in api/index.js behind {"source": "/(.*)", "destination": "/api"} routes on
    // the original URL.
    const config = boa([{ handle: 'filesystem' }, { src: '^/(.*)$', dest: '/api?from=$1' }]);
    expect(route(config, withFns({ 'api/index': 'api/index' }), req('/users/7', { query: 'x=1' }))).toEqual({
      kind: 'function',
      name: 'api/index',
      path: '/users/7',
      query: 'from=users%2F7&x=1',
      matchedPath: '/api/index',
      headers: {},
    });
  });

  test('a percent-encoded function path is found decoded (the function is named by its file)', () => {
    expect(route(boa([]), withFns({ 'api/users/[id]': 'api/users/[id]' }), req('/api/users/%5Bid%5D'))).toMatchObject({ kind: 'function', name: 'api/users/[id]' });
  });

  test('the hit phase adds its headers to a function answer, never replacing an earlier one', () => {
    const config = boa([{ src: '^/api/.*$', headers: { 'x-a': 'early' }, continue: true }, { handle: 'hit' }, { src: '^/api/.*$', headers: { 'x-a': 'hit', 'x-b': 'hit' } }]);
    expect(route(config, withFns({ 'api/a': 'api/a' }), req('/api/a')).headers).toEqual({ 'x-a': 'early', 'x-b': 'hit' });
  });
});

describe('path safety: one segment rule for uploads, builder and router', () => {
  test.each(['_astro/_...slug_.7d33a135.css', 'a..b.txt', '_next/static/chunks/pages/[...slug]-0a1b.js', '..a', 'a..'])('%s is a file name', (p) => {
    expect(pathProblem(p)).toBeUndefined();
    expect(requestFilePath(`/${p}`)).toBe(p);
    expect(route(boa([]), files(p), req(`/${encodeURI(p)}`))).toMatchObject({ kind: 'file', path: p });
  });

  test.each(['/a/../b.txt', '/./b.txt', '/a/%2e%2e/b.txt', '/a/%2E%2e%2Fb.txt', '/%2e', '/a%00b', '/caf%ff'])('%s is refused with 400', (p) => {
    const r = route(boa([{ src: '^/.*$', headers: { 'x-h': '1' }, continue: true }]), files('b.txt', 'a/b.txt'), req(p));
    expect(r).toEqual({ kind: 'error', status: 400, headers: { 'x-h': '1' } });
  });

  test.each(['a/b.txt', '_...x_.css', 'a..b/c', '../b.txt', 'a/./b', 'a//b', 'a\\b', 'a/\u0007b', 'ok/[...all].js'])(
    '%s: the upload schema, the builder and the router agree',
    (p) => {
      const uploadAccepts = FilePath.safeParse(p).success;
      const builderAccepts = (() => {
        try {
          assertSafeRelativePath(p);
          return true;
        } catch {
          return false;
        }
      })();
      const served = route(boa([]), files(p), req(`/${p.split('/').map(encodeURIComponent).join('/')}`)).kind === 'file';
      expect([builderAccepts, served]).toEqual([uploadAccepts, uploadAccepts]);
    },
  );

  test('the request path is percent-decoded before the lookup', () => {
    expect(route(boa([]), files('café/menu du jour.html'), req('/caf%C3%A9/menu%20du%20jour.html'))).toMatchObject({ kind: 'file', path: 'café/menu du jour.html' });
  });
});

describe('the per-request budget', () => {
  test('past maxSteps the answer is 508 (Vercel INFINITE_LOOP_DETECTED), with the headers gathered so far', () => {
    const routes = Array.from({ length: 50 }, (_, i) => ({ src: '^/.*$', headers: { [`x-${i}`]: '1' }, continue: true }));
    const r = route(boa(routes), files(), req('/x'), { budget: { maxSteps: 10 } });
    expect(r.kind).toBe('error');
    expect((r as { status: number }).status).toBe(508);
    expect(Object.keys(r.headers)).toHaveLength(10);
  });

  test('the default budget is enough for the largest table: every route tested once per phase pass', () => {
    const routes = Array.from({ length: MAX_ROUTES - 4 }, (_, i) => ({ src: `^/r${i}$`, dest: `/r${i}.html`, check: true }));
    const config = boa([{ handle: 'filesystem' }, ...routes, { handle: 'error' }, { src: '^/.*$', dest: '/404.html', status: 404 }]);
    expect(MAX_ROUTES * 2).toBeLessThan(DEFAULT_MAX_STEPS);
    expect(route(config, files('404.html'), req('/none'))).toMatchObject({ kind: 'error', status: 404, file: '404.html' });
  });

  test('check rewrites that point at each other end (each phase is scanned once, no re-entry)', () => {
    const config = boa([{ handle: 'filesystem' }, { src: '^/a$', dest: '/b', check: true }, { src: '^/b$', dest: '/a', check: true }, { handle: 'rewrite' }, { src: '^/a$', dest: '/b', check: true }]);
    expect(route(config, files(), req('/a'))).toMatchObject({ kind: 'error', status: 404 });
  });
});
