import { describe, expect, test } from 'vitest';
import type { CfResult } from '../../../local/cloudfront-sandbox.ts';
import { DOMAIN, edge, memoryKvs } from './helpers.ts';

/** "uri" for a rewritten request (the host's deployment prefixed; the router picks the file at origin-request), "<status> <location>" for a generated response. */
function outcome(result: CfResult): string {
  if (result.kind === 'request') return result.request.uri;
  const location = result.response.headers.location?.value;
  return location === undefined ? String(result.response.statusCode) : `${result.response.statusCode} ${location}`;
}

const PROD = `myapp.${DOMAIN}`;
const BRANCH = `myapp-git-staging.${DOMAIN}`;

/** The entries core/domain writes for custom hosts (see Domain.edgeValueOf), over a project's aliases. */
function world() {
  const kvs = memoryKvs({
    'www.example.com': `@${PROD}`,
    'staging.example.com': `@${BRANCH}`,
    'example.com': '>308 https://www.example.com',
    'old.example.com': '>301 https://www.example.com',
    '*.apps.example.com': `@${PROD}`,
    'evil.example.com': '>308 https://x.example//evil',
  });
  kvs.deploy(PROD, 'dpl_prod');
  kvs.deploy(BRANCH, 'dpl_branch');
  return { kvs, router: edge(kvs) };
}

describe('custom domains at the edge', () => {
  test("a custom host serves its project's production deployment, and follows a promote with no write of its own", async () => {
    const { kvs, router } = world();
    expect(outcome(await router.request({ host: 'www.example.com', uri: '/about' }))).toBe('/d/dpl_prod/about');
    kvs.deploy(PROD, 'dpl_next');
    expect(outcome(await router.request({ host: 'WWW.example.com:443', uri: '/' }))).toBe('/d/dpl_next/');
  });

  test("a branch domain serves the branch host's deployment", async () => {
    const { router } = world();
    expect(outcome(await router.request({ host: 'staging.example.com', uri: '/' }))).toBe('/d/dpl_branch/');
  });

  test.each([
    ['example.com', '/docs/a', 'x=1&y=2', '308 https://www.example.com/docs/a?x=1&y=2'],
    ['example.com', '/', '', '308 https://www.example.com/'],
    ['old.example.com', '/p', 'q', '301 https://www.example.com/p?q'],
  ])('a redirect domain %s%s answers the status to the target, keeping path and query', async (host, uri, querystring, expected) => {
    const { router } = world();
    expect(outcome(await router.request({ host, uri, querystring }))).toBe(expected);
  });

  test('a wildcard serves any one-label subdomain, not deeper ones nor the apex', async () => {
    const { router } = world();
    expect(outcome(await router.request({ host: 'a.apps.example.com', uri: '/' }))).toBe('/d/dpl_prod/');
    expect(outcome(await router.request({ host: 'b-2.apps.example.com', uri: '/x.css' }))).toBe('/d/dpl_prod/x.css');
    expect(outcome(await router.request({ host: 'a.b.apps.example.com', uri: '/' }))).toBe('404');
    expect(outcome(await router.request({ host: 'apps.example.com', uri: '/' }))).toBe('404');
  });

  test('an alias to a host with no deployment, an unknown host, and a malformed redirect value are 404s', async () => {
    const { kvs, router } = world();
    kvs.map.set('dangling.example.com', `@gone.${DOMAIN}`);
    expect(outcome(await router.request({ host: 'dangling.example.com', uri: '/' }))).toBe('404');
    expect(outcome(await router.request({ host: 'nobody.example.org', uri: '/' }))).toBe('404');
    expect(outcome(await router.request({ host: 'evil.example.com', uri: '/' }))).toBe('404');
  });
});
