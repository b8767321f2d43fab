import { describe, expect, test } from 'vitest';
import { loadCloudFrontFunction, viewerResponseEvent, type CfResponse } from '../../../local/cloudfront-sandbox.ts';
import { DOMAIN, VIEWER_RESPONSE, edge, memoryKvs } from './helpers.ts';

const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'public, max-age=0, must-revalidate';

describe('viewer-response caching policy', () => {
  const kvs = memoryKvs();
  kvs.deploy(`myapp.${DOMAIN}`, 'dpl_prod');
  const router = edge(kvs);
  const cacheControlOf = async (uri: string, contentType: string) =>
    (await router.response({ host: `myapp.${DOMAIN}`, uri }, { statusCode: 200, headers: { 'content-type': contentType } }))[
      'cache-control'
    ];

  test.each([
    ['/assets/app.1a2b3c.js', 'text/javascript'],
    ['/assets/index-BKq3x9Zs.js', 'text/javascript'],
    ['/_astro/index.DfT3xk2a.css', 'text/css'],
    ['/_next/static/chunks/main.js', 'text/javascript'],
    ['/static/js/main.1a2b3c4d.js', 'text/javascript'],
  ])('%s (hashed) is immutable for a year', async (uri, type) => {
    expect(await cacheControlOf(uri, type)).toBe(IMMUTABLE);
  });

  test.each([
    ['/', 'text/html'],
    ['/about', 'text/html; charset=utf-8'],
    ['/assets/logo.png', 'image/png'],
    ['/assets/hero-banner.jpg', 'image/jpeg'],
    ['/photo-20240101.jpg', 'image/jpeg'],
    ['/robots.txt', 'text/plain'],
    ['/assets/page.1a2b3c.html', 'text/html'],
  ])('%s (not content-hashed, or HTML) must revalidate', async (uri, type) => {
    expect(await cacheControlOf(uri, type)).toBe(REVALIDATE);
  });

  test('adds x-content-type-options: nosniff', async () => {
    const headers = await router.response({ host: `myapp.${DOMAIN}`, uri: '/' }, { statusCode: 200 });
    expect(headers['x-content-type-options']).toBe('nosniff');
  });
});

describe('viewer-response header rules', () => {
  const kvs = memoryKvs();
  kvs.deploy(`myapp.${DOMAIN}`, 'dpl_prod', {
    cleanUrls: true,
    headers: [
      { source: '/(.*)', headers: [{ key: 'X-Frame-Options', value: 'DENY' }] },
      { source: '/embed/:page', headers: [{ key: 'x-frame-options', value: 'SAMEORIGIN' }] },
      { source: '/fonts/(.*)', headers: [{ key: 'Access-Control-Allow-Origin', value: '*' }] },
      { source: '/feed', headers: [{ key: 'cache-control', value: 'public, max-age=600' }] },
      { source: '/pricing', headers: [{ key: 'x-page', value: 'pricing' }] },
    ],
  });
  const router = edge(kvs);
  const headersOf = (uri: string) => router.response({ host: `myapp.${DOMAIN}`, uri }, { statusCode: 200 });

  test('a matching rule adds its header', async () => {
    expect((await headersOf('/about'))['x-frame-options']).toBe('DENY');
  });

  test('a rule whose source does not match adds nothing', async () => {
    expect((await headersOf('/about'))['access-control-allow-origin']).toBeUndefined();
  });

  test('a later matching rule overrides an earlier one', async () => {
    expect((await headersOf('/embed/widget'))['x-frame-options']).toBe('SAMEORIGIN');
  });

  test('rules match the requested path, not the rewritten S3 key', async () => {
    // "/pricing" is served from d/dpl_prod/pricing.html; the rule names the visitor's path.
    expect((await headersOf('/pricing'))['x-page']).toBe('pricing');
  });

  test('a rule may override the default cache-control', async () => {
    expect((await headersOf('/feed'))['cache-control']).toBe('public, max-age=600');
  });

  test('a config entry gone from the KVS leaves the defaults in place', async () => {
    const fn = loadCloudFrontFunction(VIEWER_RESPONSE, async () => undefined);
    const request = {
      method: 'GET',
      uri: '/d/dpl_prod/index.html',
      querystring: {},
      headers: { 'x-runway-path': { value: '/' }, 'x-runway-config': { value: '0123456789ab' } },
      cookies: {},
    };
    const response = (await fn.handle(viewerResponseEvent(request, { statusCode: 200 }))) as CfResponse;
    expect(response.headers['cache-control']?.value).toBe(REVALIDATE);
  });
});
