import { describe, expect, test } from 'vitest';
import {
  buildDeploymentIndex,
  cacheControlFor,
  IMMUTABLE_CACHE_CONTROL,
  REVALIDATE_CACHE_CONTROL,
  REVALIDATE_UNCACHED,
  routesVary,
} from '../../../functions/src/core/routing/deployment-index.ts';
import type { Framework } from '../../../functions/src/core/build/contract.ts';

const file = (contentType = 'text/javascript; charset=utf-8') => ({ sha: 'a'.repeat(64), size: 1, contentType });

function indexFor(framework: Framework, paths: string[], routes: unknown[] = []) {
  const files = Object.fromEntries(paths.map((p) => [p, file(p.endsWith('.html') ? 'text/html; charset=utf-8' : undefined)]));
  return buildDeploymentIndex({ deploymentId: 'dpl_1', teamId: 'team_1', manifest: { framework, files }, config: { version: 3, routes: routes as never } });
}

describe('caching from knowledge: the framework\'s hashed directory, not the look of a name', () => {
  test.each([
    // Vite hashes without digits or with "-"/"_" — what a name regex misses (issue 13).
    ['vite', 'assets/index-BKqxZsAb.js'],
    ['vite', 'assets/vendor-a_b-C.css'],
    ['vite', 'assets/logo.svg'],
    ['astro', '_astro/_...slug_.7d33a135.css'],
    ['nextjs', '_next/static/chunks/main.js'],
    ['static', '_app/immutable/entry/start.js'],
  ] as const)('%s: %s is immutable for a year', (framework, path) => {
    const index = indexFor(framework, [path, 'index.html']);
    expect(cacheControlFor(index, path, 'text/javascript')).toBe(IMMUTABLE_CACHE_CONTROL);
  });

  test.each([
    ['static', 'assets/app.1a2b3c4d.js'], // a static site's assets/ is the author's: no hash promised
    ['vite', 'favicon.ico'],
    ['vite', 'assets/page.html'], // HTML is never immutable
    ['astro', 'about/index.html'],
    ['eleventy', '_astro/x.css'],
  ] as const)('%s: %s revalidates in browsers, kept at the CDN', (framework, path) => {
    const index = indexFor(framework, [path]);
    expect(cacheControlFor(index, path, path.endsWith('.html') ? 'text/html; charset=utf-8' : 'text/css')).toBe(REVALIDATE_CACHE_CONTROL);
  });

  test('a deployment whose routes test headers or cookies is never kept at the CDN; query conditions are in the cache key', () => {
    expect(routesVary([{ src: '^/$', has: [{ type: 'query', key: 'a' }] }])).toBe(false);
    expect(routesVary([{ src: '^/$', missing: [{ type: 'cookie', key: 'a' }] }, { handle: 'filesystem' }])).toBe(true);
    expect(routesVary([{ src: '^/$', has: [{ type: 'host', value: 'x' }] }])).toBe(true);
    const index = indexFor('vite', ['index.html'], [{ src: '^/$', has: [{ type: 'header', key: 'x-beta' }], dest: '/index.html' }]);
    expect(index.varies).toBe(true);
    expect(cacheControlFor(index, 'index.html', 'text/html')).toBe(REVALIDATE_UNCACHED);
  });
});

test('the index lists every file as [sha, size, type]; a file named __proto__ stays a file', () => {
  const index = indexFor('static', ['index.html', '__proto__', 'a/b.css']);
  expect(Object.keys(index.files).sort()).toEqual(['__proto__', 'a/b.css', 'index.html']);
  expect(index.files['__proto__']).toEqual(['a'.repeat(64), 1, 'text/javascript; charset=utf-8']);
  expect(index).toMatchObject({ version: 1, deploymentId: 'dpl_1', teamId: 'team_1', framework: 'static', immutable: [] });
});
