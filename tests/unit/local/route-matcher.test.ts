import { describe, expect, test } from 'vitest';
import { HTTP_ROUTES } from '../../../functions/src/handlers/http/routes.ts';
import { createRouteMatcher } from '../../../local/route-matcher.ts';

describe('the route matcher of the local gateway and the fake GitHub', () => {
  const routes = [
    { method: 'GET', path: '/repos/{owner}/{repo}/commits/{ref+}/statuses', name: 'statuses' },
    { method: 'GET', path: '/repos/{owner}/{repo}/commits/{ref+}', name: 'commit' },
    { method: 'GET', path: '/_codeload/{owner}/{repo}/legacy.tar.gz/{sha}', name: 'codeload' },
    { method: 'POST', path: '/v1/projects/{idOrName}/promote', name: 'promote' },
    { method: 'GET', path: '/v1/(not)/a+regex?', name: 'literal' },
  ] as const;
  const match = createRouteMatcher(routes);
  const hit = (method: string, path: string) => {
    const found = match(method, path);
    return found && { name: found.route.name, params: found.params };
  };

  test('{x} is one segment, {x+} one or more, also mid-path; values are decoded', () => {
    expect(hit('GET', '/repos/octo/site/commits/feature/a/b/statuses')).toEqual({ name: 'statuses', params: { owner: 'octo', repo: 'site', ref: 'feature/a/b' } });
    expect(hit('GET', '/repos/octo/site/commits/feat%2Fx')).toEqual({ name: 'commit', params: { owner: 'octo', repo: 'site', ref: 'feat/x' } });
    expect(hit('POST', '/v1/projects/my%20app/promote')).toEqual({ name: 'promote', params: { idOrName: 'my app' } });
  });

  test('routes are tried in order: the first that matches wins', () => {
    const reversed = createRouteMatcher([routes[1], routes[0]]);
    expect(reversed('GET', '/repos/o/r/commits/main/statuses')?.route.name).toBe('commit');
    expect(hit('GET', '/repos/o/r/commits/main/statuses')?.name).toBe('statuses');
  });

  test('literal text is literal, even characters path-to-regexp or a RegExp would read as syntax', () => {
    expect(hit('GET', '/_codeload/o/r/legacy.tar.gz/abc')?.params).toEqual({ owner: 'o', repo: 'r', sha: 'abc' });
    expect(hit('GET', '/_codeload/o/r/legacyXtarXgz/abc')).toBeUndefined();
    expect(hit('GET', '/v1/(not)/a+regex?')?.name).toBe('literal');
    expect(hit('GET', '/v1/not/aregex')).toBeUndefined();
  });

  test('method, case and a trailing slash count, as in API Gateway; a {x} never spans two segments', () => {
    expect(hit('GET', '/v1/projects/app/promote')).toBeUndefined();
    expect(hit('POST', '/v1/Projects/app/promote')).toBeUndefined();
    expect(hit('POST', '/v1/projects/app/promote/')).toBeUndefined();
    expect(hit('POST', '/v1/projects/a/b/promote')).toBeUndefined();
  });

  test('a malformed escape still matches (no exception), kept as sent, so the route\'s handler refuses it with 400 and not 404', () => {
    expect(hit('POST', '/v1/projects/%zz/promote')).toEqual({ name: 'promote', params: { idOrName: '%zz' } });
    expect(hit('POST', '/v1/projects/%/promote')).toEqual({ name: 'promote', params: { idOrName: '%' } });
    // A greedy variable: each segment by the same rule.
    expect(hit('GET', '/repos/o/r/commits/%E0%A4%A')).toEqual({ name: 'commit', params: { owner: 'o', repo: 'r', ref: '%E0%A4%A' } });
    expect(hit('GET', '/repos/o/r/commits/a%2Fb/%zz')).toEqual({ name: 'commit', params: { owner: 'o', repo: 'r', ref: 'a/b/%zz' } });
    // Still no route where the path has none.
    expect(hit('GET', '/v1/projects/%zz/promote')).toBeUndefined();
  });

  test("every route of the platform's table matches its own path, with its parameters", () => {
    const gateway = createRouteMatcher(HTTP_ROUTES);
    for (const route of HTTP_ROUTES) {
      const names = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string);
      const path = route.path.replace(/\{(\w+)\}/g, (_, name: string) => `${name}-value`);
      const found = gateway(route.method, path);
      expect(found?.route, `${route.method} ${route.path}`).toBe(route);
      expect(found?.params).toEqual(Object.fromEntries(names.map((name) => [name, `${name}-value`])));
    }
  });
});
