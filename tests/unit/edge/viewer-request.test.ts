import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { responseBodyText, type CfResult } from '../../../local/cloudfront-sandbox.ts';
import { DOMAIN, edge, memoryKvs } from './helpers.ts';

/** The uri of a rewritten request (its query string stays as sent), the status of a generated response. */
function outcome(result: CfResult): string {
  if (result.kind === 'request') return result.request.uri;
  return String(result.response.statusCode);
}

const PROD = `myapp.${DOMAIN}`;

describe('viewer-request: host → deployment, cache key per deployment', () => {
  const kvs = memoryKvs();
  kvs.deploy(PROD, 'dpl_prod');
  kvs.deploy(`myapp-git-feature-x.${DOMAIN}`, 'dpl_branch');
  kvs.deploy('www.customer.com', 'dpl_custom');
  // A value written before routes moved to the deployment index: its config key is ignored.
  kvs.map.set(`old.${DOMAIN}`, 'dpl_old 0123456789ab');
  const router = edge(kvs);

  test.each([
    [PROD, '/', '/d/dpl_prod/'],
    [PROD, '/about', '/d/dpl_prod/about'],
    [PROD, '/docs/?page=2&x=%20', '/d/dpl_prod/docs/'],
    [`myapp-git-feature-x.${DOMAIN}`, '/a.css', '/d/dpl_branch/a.css'],
    ['www.customer.com', '/', '/d/dpl_custom/'],
    [`${PROD}:4001`, '/', '/d/dpl_prod/'],
    ['MyApp.Runway.Example.COM', '/', '/d/dpl_prod/'],
    [`old.${DOMAIN}`, '/x', '/d/dpl_old/x'],
    // Paths go to the router untouched: it decides by segment (a ".." inside a name is a file).
    [PROD, '/_astro/_...slug_.7d33a135.css', '/d/dpl_prod/_astro/_...slug_.7d33a135.css'],
    [PROD, '/%E5%AE%B6', '/d/dpl_prod/%E5%AE%B6'],
  ])('%s %s → %s', async (host, path, expected) => {
    const [uri, querystring] = path.split('?') as [string, string | undefined];
    expect(outcome(await router.request({ host, uri, ...(querystring ? { querystring } : {}) }))).toBe(expected);
  });

  test('an unknown host gets the platform 404 page, not another tenant', async () => {
    const result = await router.request({ host: `nope.${DOMAIN}`, uri: '/' });
    if (result.kind !== 'response') throw new Error('expected a generated response');
    expect(result.response.statusCode).toBe(404);
    expect(result.response.headers['content-type']?.value).toBe('text/html; charset=utf-8');
    expect(result.response.headers['cache-control']?.value).toBe('no-store');
    expect(responseBodyText(result.response)).toContain('No deployment at this address');
  });

  test.each([
    ['no Host header', undefined, '/', '404'],
    ['an unknown host, before its path is looked at', `nope.${DOMAIN}`, '/../x', '404'],
    ['a malformed KVS value', `broken.${DOMAIN}`, '/', '404'],
    ['a URI over 1024 characters', PROD, `/${'a'.repeat(1999)}`, '414'],
  ])('%s → %4$s', async (_name, host, uri, expected) => {
    kvs.map.set(`broken.${DOMAIN}`, '../dpl_other');
    expect(outcome(await router.request({ ...(host ? { host } : {}), uri }))).toBe(expected);
  });

  test('sets x-runway-host and drops every x-runway-* header a viewer sent', async () => {
    const result = await router.request({ host: PROD, uri: '/', headers: { 'x-runway-deployment': 'dpl_other', 'x-runway-host': 'evil.example', 'x-other': '1' } });
    if (result.kind !== 'request') throw new Error('expected a rewritten request');
    const headers = Object.fromEntries(Object.entries(result.request.headers).map(([k, v]) => [k, v.value]));
    expect(headers['x-runway-host']).toBe(PROD);
    expect(headers['x-runway-deployment']).toBeUndefined();
    expect(headers['x-other']).toBe('1');
  });

  test.each([
    ['copies the visitor’s Authorization into x-runway-viewer-authorization', { authorization: 'Bearer visitor' }, 'Bearer visitor'],
    ['replaces one the viewer sent itself with its own Authorization', { authorization: 'Basic dXNlcg==', 'x-runway-viewer-authorization': 'Bearer forged' }, 'Basic dXNlcg=='],
    ['drops one the viewer sent without an Authorization', { 'x-runway-viewer-authorization': 'Bearer forged' }, undefined],
  ] as [string, Record<string, string>, string | undefined][])('%s (functions get it back as authorization)', async (_name, sent, expected) => {
    const result = await router.request({ host: PROD, uri: '/api/me', headers: sent });
    if (result.kind !== 'request') throw new Error('expected a rewritten request');
    expect(result.request.headers['x-runway-viewer-authorization']?.value).toBe(expected);
    expect(result.request.headers.authorization?.value).toBe(sent['authorization']);
  });

  test('every rewritten uri starts with its own host\'s deployment prefix, whatever the path', async () => {
    const pieces = ['/', '.', '..', '%2e', '%2f', '%5c', '\\', '%00', '%', 'a', 'b.js', 'd/dpl_other/', '//'];
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...pieces), { maxLength: 12 }), async (parts) => {
        const result = await router.request({ host: PROD, uri: `/${parts.join('')}` });
        if (result.kind === 'response') return;
        expect(result.request.uri.startsWith('/d/dpl_prod/')).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
