import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import {
  InvalidRoutingConfigError,
  MAX_COMPILED_CONFIG_BYTES,
  RoutingConfigTooLargeError,
  compilePathPattern,
  compileRoutingConfig,
  type CompiledRoutingConfig,
} from '../../../functions/src/core/routing/config.ts';

const compiled = (input: { runwayJson?: unknown; vercelJson?: unknown }): CompiledRoutingConfig =>
  JSON.parse(compileRoutingConfig(input).value ?? 'null') as CompiledRoutingConfig;

function matcher(source: string): (path: string) => boolean {
  const re = new RegExp(`^${compilePathPattern(source).regex}$`);
  return (path) => re.test(path);
}

describe('compileRoutingConfig output', () => {
  test('no files gives no KVS entry', () => {
    expect(compileRoutingConfig({})).toEqual({ key: null, value: null });
  });

  test('a config that only restates defaults gives no KVS entry', () => {
    expect(compileRoutingConfig({ runwayJson: { cleanUrls: false, spa: false, redirects: [] } })).toEqual({
      key: null,
      value: null,
    });
  });

  test('the key is the first 12 hex characters of the sha256 of the value', () => {
    const { key, value } = compileRoutingConfig({ runwayJson: { cleanUrls: true } });
    expect(key).toBe(createHash('sha256').update(value ?? '').digest('hex').slice(0, 12));
  });

  test('identical configs share one key', () => {
    const a = compileRoutingConfig({ runwayJson: { spa: true, trailingSlash: false } });
    const b = compileRoutingConfig({ vercelJson: { trailingSlash: false }, runwayJson: { spa: true } });
    expect(a.key).toBe(b.key);
  });

  test('flags compile to their short form', () => {
    expect(compiled({ runwayJson: { cleanUrls: true, trailingSlash: false, spa: true } })).toEqual({ c: 1, t: 0, s: 1 });
  });

  test('a 308 redirect omits its status; others keep it', () => {
    expect(
      compiled({
        runwayJson: {
          redirects: [
            { source: '/a', destination: '/b' },
            { source: '/c', destination: '/d', permanent: false },
          ],
        },
      }).r,
    ).toEqual([
      ['/a', '/b'],
      ['/c', '/d', 307],
    ]);
  });

  test('header names are lowercased', () => {
    const h = compiled({ runwayJson: { headers: [{ source: '/', headers: [{ key: 'X-Frame-Options', value: 'DENY' }] }] } }).h;
    expect(h).toEqual([['/', { 'x-frame-options': 'DENY' }]]);
  });

  test('a rewrite with a literal source is flagged to apply to file paths too', () => {
    expect(compiled({ runwayJson: { rewrites: [{ source: '/feed.xml', destination: '/rss.xml' }] } }).w).toEqual([
      ['/feed\\.xml', '/rss.xml', 1],
    ]);
  });
});

describe('compileRoutingConfig size limit', () => {
  const redirects = Array.from({ length: 40 }, (_, i) => ({ source: `/old-page-${i}`, destination: `/new-page-${i}` }));

  test('a config over 1024 bytes is refused with RoutingConfigTooLargeError', () => {
    expect(() => compileRoutingConfig({ runwayJson: { redirects } })).toThrow(RoutingConfigTooLargeError);
  });

  test('the error says the size, the limit and what to trim', () => {
    let error: unknown;
    try {
      compileRoutingConfig({ runwayJson: { redirects } });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(RoutingConfigTooLargeError);
    const message = (error as Error).message;
    expect(message).toMatch(/is \d{4} bytes/);
    expect(message).toContain(`${MAX_COMPILED_CONFIG_BYTES}-byte`);
    expect(message).toMatch(/redirects \d+ B/);
    expect(message).toContain('merge similar redirects');
  });

  test('a value just over the limit is refused, one just under is accepted', () => {
    const config = (length: number) => ({
      runwayJson: { headers: [{ source: '/', headers: [{ key: 'x-a', value: 'v'.repeat(length) }] }] },
    });
    const overhead = compileRoutingConfig(config(0)).value?.length ?? 0;
    expect(compileRoutingConfig(config(MAX_COMPILED_CONFIG_BYTES - overhead)).value).toHaveLength(MAX_COMPILED_CONFIG_BYTES);
    expect(() => compileRoutingConfig(config(MAX_COMPILED_CONFIG_BYTES - overhead + 1))).toThrow(RoutingConfigTooLargeError);
  });
});

describe('compilePathPattern (Vercel syntax)', () => {
  test.each([
    ['/blog/:slug', '/blog/hello', true],
    ['/blog/:slug', '/blog/a/b', false],
    ['/blog/:slug', '/blog/', false],
    ['/docs/:path*', '/docs', true],
    ['/docs/:path*', '/docs/a/b', true],
    ['/docs/:path+', '/docs', false],
    ['/docs/:path+', '/docs/a/b', true],
    ['/post/:id?', '/post', true],
    ['/post/:id(\\d+)', '/post/42', true],
    ['/post/:id(\\d+)', '/post/abc', false],
    ['/(.*)', '/anything/at/all', true],
    ['/old/*', '/old/x/y', true],
    ['/file.html', '/fileXhtml', false],
    ['/About', '/about', false],
    ['/café', '/caf%C3%A9', true],
  ])('%s matching %s is %s', (source, path, expected) => {
    expect(matcher(source)(path)).toBe(expected);
  });

  test('compiles to a compact regex string', () => {
    expect(compilePathPattern('/blog/:slug').regex).toBe('/blog/([^/]+)');
  });

  test('vercel.json redirects compile with :params turned into groups', () => {
    expect(
      compiled({ vercelJson: { redirects: [{ source: '/docs/:path*', destination: '/guide/:path*', permanent: true }] } }).r,
    ).toEqual([['/docs(/(.*))?', '/guide$1']]);
  });

  test('a capturing group inside a parameter pattern is refused', () => {
    expect(() =>
      compileRoutingConfig({ runwayJson: { redirects: [{ source: '/x/:id(a|(b))', destination: '/y' }] } }),
    ).toThrow(/redirects\[0\]: capturing groups/);
  });

  test('a destination parameter the source does not define is refused', () => {
    expect(() =>
      compileRoutingConfig({ runwayJson: { redirects: [{ source: '/blog/:slug', destination: '/posts/:id' }] } }),
    ).toThrow(/":id" is not a parameter/);
  });
});

describe('compileRoutingConfig validation', () => {
  test('an unknown runway.json field is refused, naming it', () => {
    expect(() => compileRoutingConfig({ runwayJson: { cleanUrls: true, cleanURLs: true } })).toThrow(/cleanURLs/);
  });

  test('an invalid runway.json is an InvalidRoutingConfigError', () => {
    expect(() => compileRoutingConfig({ runwayJson: { spa: 'yes' } })).toThrow(InvalidRoutingConfigError);
  });

  test('vercel.json fields Runway does not use are ignored', () => {
    expect(
      compiled({ vercelJson: { cleanUrls: true, buildCommand: 'npm run build', functions: {}, regions: ['iad1'] } }),
    ).toEqual({ c: 1 });
  });

  test('vercel.json cannot switch on the Runway-only spa flag', () => {
    expect(compileRoutingConfig({ vercelJson: { spa: true } })).toEqual({ key: null, value: null });
  });

  test('a vercel.json redirect condition ("has") is refused rather than silently dropped', () => {
    expect(() =>
      compileRoutingConfig({
        vercelJson: { redirects: [{ source: '/a', destination: '/b', has: [{ type: 'host', value: 'x' }] }] },
      }),
    ).toThrow(/vercel\.json[\s\S]*has/);
  });

  test('runway.json wins over vercel.json for a field both set', () => {
    expect(
      compiled({
        runwayJson: { redirects: [{ source: '/r', destination: '/runway' }] },
        vercelJson: { redirects: [{ source: '/v', destination: '/vercel' }] },
      }).r,
    ).toEqual([['/r', '/runway']]);
  });

  test('vercel.json fields runway.json leaves unset still apply', () => {
    expect(compiled({ runwayJson: { spa: true }, vercelJson: { trailingSlash: true } })).toEqual({ t: 1, s: 1 });
  });

  test('a rewrite to an external URL is refused', () => {
    expect(() =>
      compileRoutingConfig({ runwayJson: { rewrites: [{ source: '/api/(.*)', destination: 'https://api.example.com/$1' }] } }),
    ).toThrow(/external URLs/);
  });

  test('a header CloudFront does not let a function set is refused', () => {
    expect(() =>
      compileRoutingConfig({ runwayJson: { headers: [{ source: '/', headers: [{ key: 'Content-Length', value: '1' }] }] } }),
    ).toThrow(/cannot be set at the edge/);
  });

  test('a header value with non-ASCII characters is refused', () => {
    expect(() =>
      compileRoutingConfig({ runwayJson: { headers: [{ source: '/', headers: [{ key: 'x-a', value: 'café' }] }] } }),
    ).toThrow(/printable ASCII/);
  });

  test('a redirect to a protocol-relative URL is refused', () => {
    expect(() => compileRoutingConfig({ runwayJson: { redirects: [{ source: '/a', destination: '//evil.example' }] } })).toThrow(
      InvalidRoutingConfigError,
    );
  });
});
