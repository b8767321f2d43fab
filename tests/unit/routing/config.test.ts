import { describe, expect, test } from 'vitest';
import {
  compileBuildOutputConfig,
  InvalidRoutingConfigError,
  MAX_CONFIG_BYTES,
  MAX_ROUTES,
  parseBuildOutputConfig,
  routePatterns,
} from '../../../functions/src/core/routing/config.ts';

const refusal = (fn: () => unknown): InvalidRoutingConfigError => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidRoutingConfigError);
    expect((error as InvalidRoutingConfigError).code).toBe('invalid_routing_config');
    return error as InvalidRoutingConfigError;
  }
  throw new Error('expected a refusal');
};

describe('vercel.json / runway.json → Build Output API config (routing-utils)', () => {
  test('redirects, headers and rewrites compile into routes around handle: filesystem, as routing-utils orders them', () => {
    const config = compileBuildOutputConfig({
      vercelJson: {
        redirects: [{ source: '/old/:path*', destination: '/new/:path*' }],
        headers: [{ source: '/(.*)', headers: [{ key: 'X-Frame-Options', value: 'DENY' }] }],
        rewrites: [{ source: '/app/:path*', destination: '/index.html' }],
      },
    });
    expect(config).toEqual({
      version: 3,
      routes: [
        { src: '^/old(?:/((?:[^/]+?)(?:/(?:[^/]+?))*))?$', headers: { Location: '/new/$1' }, status: 308, caseSensitive: true },
        { src: '^(?:/(.*))$', headers: { 'X-Frame-Options': 'DENY' }, continue: true, caseSensitive: true },
        { handle: 'filesystem' },
        // routing-utils passes a parameter the destination does not use on as a query parameter.
        { src: '^/app(?:/((?:[^/]+?)(?:/(?:[^/]+?))*))?$', dest: '/index.html?path=$1', check: true, caseSensitive: true },
      ],
    });
  });

  test('has / missing conditions are accepted (the old compiler failed the deployment on them)', () => {
    const config = compileBuildOutputConfig({ vercelJson: { redirects: [{ source: '/', has: [{ type: 'query', key: 'page', value: 'docs' }], destination: '/docs.html', permanent: false }] } });
    expect(config.routes?.[0]).toMatchObject({ status: 307, has: [{ type: 'query', key: 'page', value: 'docs' }] });
  });

  test('cleanUrls writes the overrides vercel build writes: each .html file served without its extension', () => {
    const config = compileBuildOutputConfig({ vercelJson: { cleanUrls: true }, files: ['index.html', 'a/index.html', 'about.html', 'app.js'] });
    expect(config.overrides).toEqual({ 'index.html': { path: 'index' }, 'a/index.html': { path: 'a/index' }, 'about.html': { path: 'about' } });
  });

  test('runway.json wins per field over vercel.json (trailingSlash routes come before redirects)', () => {
    const config = compileBuildOutputConfig({ runwayJson: { trailingSlash: false }, vercelJson: { trailingSlash: true, redirects: [{ source: '/a', destination: '/b' }] } });
    expect(config.routes?.map((r) => ('src' in r ? r.src : r.handle))).toEqual(['^/(.*)/$', '^/a$']);
  });

  test('an invalid source pattern is refused with routing-utils message naming the rule', () => {
    const error = refusal(() => compileBuildOutputConfig({ vercelJson: { redirects: [{ source: '/:x((a+)+)', destination: '/b' }] } }));
    expect(error.message).toBe('vercel.json: Redirect at index 0 has invalid `source` pattern "/:x((a+)+)".');
  });

  test('legacy vercel.json routes compile as given (matched case-insensitively, as the dev server does)', () => {
    const config = compileBuildOutputConfig({ vercelJson: { routes: [{ src: '/About', dest: '/about.html' }] } });
    expect(config.routes).toEqual([{ src: '^/About$', dest: '/about.html' }]);
    expect(refusal(() => compileBuildOutputConfig({ vercelJson: { routes: [{ src: '/a' }], redirects: [{ source: '/b', destination: '/c' }] } })).message).toBe('vercel.json: "routes" cannot be combined with "redirects"; move the routes into redirects, rewrites and headers');
  });

  test('an unknown field of runway.json is refused, other vercel.json fields are ignored', () => {
    expect(refusal(() => compileBuildOutputConfig({ runwayJson: { spa: true, framework: 'vite' } })).message).toMatch(/runway\.json is invalid:[\s\S]*framework/);
    expect(compileBuildOutputConfig({ vercelJson: { framework: 'vite', buildCommand: 'x' } })).toEqual({ version: 3, routes: [] });
  });

  test('a header CloudFront refuses to set is refused', () => {
    const error = refusal(() => compileBuildOutputConfig({ vercelJson: { headers: [{ source: '/(.*)', headers: [{ key: 'Set-Cookie', value: 'a=1' }] }] } }));
    expect(error.message).toContain('cannot be set at the edge');
  });
});

describe('a framework’s .vercel/output/config.json', () => {
  test('is taken as is when valid', () => {
    const json = { version: 3, routes: [{ src: '^/_app/immutable/.+', headers: { 'cache-control': 'public, immutable, max-age=31536000' } }, { handle: 'filesystem' }, { src: '^/.*$', dest: '/index.html' }], overrides: { 'about.html': { path: 'about' } } };
    expect(parseBuildOutputConfig(json)).toEqual(json);
  });

  test("framework metadata as vercel build (slug) and Nitro (name) write it is accepted", () => {
    for (const framework of [{ slug: 'nextjs', version: '16.2.9' }, { name: 'nuxt', version: '4.6.4' }]) {
      expect(parseBuildOutputConfig({ version: 3, framework }).framework).toEqual(framework);
    }
  });

  test('an unknown key of a route is refused, naming the route and the key', () => {
    const error = refusal(() => parseBuildOutputConfig({ version: 3, routes: [{ handle: 'filesystem' }, { src: '^/a$', middlewarePath: 'middleware' }] }));
    expect(error.message).toContain('route has field(s) Runway does not support: middlewarePath');
    expect(error.message).toContain('routes[1]');
  });

  test('an unknown phase, top-level key or version is refused', () => {
    expect(refusal(() => parseBuildOutputConfig({ version: 3, routes: [{ handle: 'later' }] })).message).toContain('routes[0].handle');
    expect(refusal(() => parseBuildOutputConfig({ version: 3, functions: {} })).message).toContain('config.json has field(s) Runway does not support: functions');
    const transform = (t: object) => refusal(() => parseBuildOutputConfig({ version: 3, routes: [{ src: '/', transforms: [t] }] })).message;
    expect(transform({ type: 'request.path', op: 'set', args: '/x' })).toContain('transform type "request.path" is not supported');
    expect(transform({ type: 'request.query', op: 'delete', target: { key: { eq: 'x' } } })).toContain('target.key must be a plain string');
    expect(refusal(() => parseBuildOutputConfig({ version: 2, routes: [] })).message).toContain('version');
  });

  test('a src that is no regular expression is refused', () => {
    expect(refusal(() => parseBuildOutputConfig({ version: 3, routes: [{ src: '^/(a$' }] })).message).toMatch(/routes\[0\]\.src[\s\S]*|src is not a valid regular expression/);
  });

  test(`more than ${MAX_ROUTES} routes are refused with the count`, () => {
    const routes = Array.from({ length: MAX_ROUTES + 1 }, (_, i) => ({ src: `^/r${i}$` }));
    expect(refusal(() => parseBuildOutputConfig({ version: 3, routes })).message).toContain(`has ${MAX_ROUTES + 1} routes, over the limit of ${MAX_ROUTES}`);
  });

  test(`a config over ${MAX_CONFIG_BYTES} bytes is refused with its size`, () => {
    const overrides = Object.fromEntries(Array.from({ length: 6000 }, (_, i) => [`${'p'.repeat(150)}${i}.html`, { path: `${'p'.repeat(150)}${i}` }]));
    expect(refusal(() => parseBuildOutputConfig({ version: 3, overrides })).message).toMatch(/The routing config is \d+ bytes, over the 1048576-byte limit/);
  });

  test('routePatterns lists every src and has/missing regex with where it is', () => {
    const config = parseBuildOutputConfig({ version: 3, routes: [{ handle: 'filesystem' }, { src: '^/a$', has: [{ type: 'host', value: 'x\\.com' }, { type: 'query', key: 'q' }], missing: [{ type: 'cookie', key: 'c', value: { re: '^b+$' } }] }] });
    expect(routePatterns(config)).toEqual([
      { where: 'routes[1].src', pattern: '^/a$' },
      { where: 'routes[1].has[0].value', pattern: 'x\\.com' },
      { where: 'routes[1].missing[0].value.re', pattern: '^b+$' },
    ]);
  });
});
