import { describe, expect, test } from 'vitest';
import { DOMAIN, edge, memoryKvs } from './helpers.ts';

describe('viewer-response: the browser never sees the CDN-only s-maxage', () => {
  const kvs = memoryKvs();
  kvs.deploy(`myapp.${DOMAIN}`, 'dpl_prod');
  const router = edge(kvs);
  const cacheControlOf = async (value?: string) =>
    (await router.response({ host: `myapp.${DOMAIN}`, uri: '/' }, { statusCode: 200, headers: value === undefined ? {} : { 'cache-control': value } }))['cache-control'];

  test.each([
    ['public, max-age=0, must-revalidate, s-maxage=31536000', 'public, max-age=0, must-revalidate'],
    ['s-maxage=60, public', 'public'],
    ['public, max-age=31536000, immutable', 'public, max-age=31536000, immutable'],
    ['no-store', 'no-store'],
  ])('%s → %s', async (origin, viewer) => {
    expect(await cacheControlOf(origin)).toBe(viewer);
  });

  test('a Cache-Control of only s-maxage is removed, none stays none', async () => {
    expect(await cacheControlOf('s-maxage=600')).toBeUndefined();
    expect(await cacheControlOf()).toBeUndefined();
  });
});
