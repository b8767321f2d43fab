import { describe, expect, test } from 'vitest';
import { loadCloudFrontFunction, viewerRequestEvent, type CfRequest } from '../../../local/cloudfront-sandbox.ts';
import { CONSOLE_REQUEST } from './helpers.ts';

/** The console distribution's viewer-request function, run as CloudFront runs it (no KeyValueStore). */
const fn = loadCloudFrontFunction(CONSOLE_REQUEST, async () => undefined);
const rewrite = async (uri: string) => ((await fn.handle(viewerRequestEvent({ host: 'console.example', uri }))) as CfRequest).uri;

describe('console viewer-request', () => {
  test.each([
    ['/', '/index.html'],
    ['/project/', '/project/index.html'],
    ['/git/setup/', '/git/setup/index.html'],
    ['/project', '/project/index.html'],
    ['/deployment', '/deployment/index.html'],
  ])('maps the directory path %s to its page %s', async (uri, expected) => {
    expect(await rewrite(uri)).toBe(expected);
  });

  test.each(['/config.json', '/_astro/index.BKq3x9Zs.js', '/favicon.svg', '/404.html', '/a.b/c.css'])('leaves the file %s alone', async (uri) => {
    expect(await rewrite(uri)).toBe(uri);
  });

  test('keeps the query string (pages take ids as query parameters)', async () => {
    const request = (await fn.handle(viewerRequestEvent({ host: 'c', uri: '/project/', querystring: 'name=web' }))) as CfRequest;
    expect([request.uri, request.querystring]).toEqual(['/project/index.html', { name: { value: 'web' } }]);
  });
});
