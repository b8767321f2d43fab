import { describe, expect, test } from 'vitest';
import {
  loadCloudFrontFunction,
  querystringToString,
  responseBodyText,
  viewerRequestEvent,
  type CfResponse,
} from '../../../local/cloudfront-sandbox.ts';
import { fixture } from './helpers.ts';

const kvs = new Map([['present', 'value']]);
const fn = loadCloudFrontFunction(fixture('globals.js'), async (key) => kvs.get(key));
const body = async (probe: string) =>
  responseBodyText((await fn.handle(viewerRequestEvent({ host: 'x', uri: `/${probe}` }))) as CfResponse);

describe('sandbox', () => {
  test('kvs().get() resolves a present key', async () => {
    expect(await body('present')).toBe('value');
  });

  test('kvs().get() rejects for a missing key, like the real runtime', async () => {
    expect(await body('absent')).toBe('missing');
  });

  test('offers no require, process, fetch or timers', async () => {
    expect(await body('globals')).toBe('undefined,undefined,undefined,undefined');
  });

  test('refuses eval, as the runtime does', async () => {
    await expect(fn.handle(viewerRequestEvent({ host: 'x', uri: '/eval' }))).rejects.toThrow(/Code generation from strings/);
  });

  test('compiles the source once and keeps module state between requests', async () => {
    const first = Number(await body('calls'));
    expect(Number(await body('calls'))).toBe(first + 1);
  });

  test('strips only the cloudfront import: any other import fails to load', () => {
    expect(() => loadCloudFrontFunction(fixture('extra-import.js'), async () => undefined)).toThrow(SyntaxError);
  });
});

describe('sandbox event helpers', () => {
  test('viewerRequestEvent keeps repeated query parameters as multiValue, still encoded', () => {
    expect(viewerRequestEvent({ uri: '/', querystring: 'a=1&a=%20&b' }).request.querystring).toEqual({
      a: { value: '1', multiValue: [{ value: '1' }, { value: '%20' }] },
      b: { value: '' },
    });
  });

  test('querystringToString restores the query string', () => {
    expect(querystringToString(viewerRequestEvent({ uri: '/', querystring: 'a=1&a=%20&b' }).request.querystring)).toBe(
      'a=1&a=%20&b',
    );
  });

  test('viewerRequestEvent lowercases header names', () => {
    expect(viewerRequestEvent({ uri: '/', headers: { 'Accept-Language': 'en' } }).request.headers).toEqual({
      'accept-language': { value: 'en' },
    });
  });
});
