import { describe, expect, test } from 'vitest';
import { deployedFixture, request, textOf } from './harness.ts';

/**
 * Astro 7 with `output: 'server'` and @astrojs/vercel, zero config: `astro build` writes
 * .vercel/output with one `_render` function that every page goes to (its routes say
 * `dest: "_render"`). Fixture: tests/fixtures/frameworks/astro-ssr.
 */
const fx = deployedFixture('astro-ssr', { GREETING: { value: 'hello from a runtime env var' } });

describe('Astro SSR + @astrojs/vercel through the local edge', () => {
  test('one render function serves the pages', () => {
    expect(fx.app.manifest.framework).toBe('astro');
    expect(Object.keys(fx.app.manifest.functions ?? {})).toEqual(['_render']);
  });

  test('SSR page: the query, a cookie round trip and a runtime env var, rendered per request', async () => {
    const first = await request(fx.session.platform.edge, fx.app.host, '/?name=Ada');
    expect(first.status).toBe(200);
    expect(first.headers['content-type']).toMatch(/^text\/html/);
    expect(first.body).toContain('<h1>Hello Ada from Astro</h1>');
    expect(textOf(first.body, 'greeting')).toBe('hello from a runtime env var');
    expect(textOf(first.body, 'visits')).toBe('visit 1');
    // The page sees the path it was asked for, not the function's name it was rewritten to.
    expect(textOf(first.body, 'path')).toBe('/');
    expect(first.headers['set-cookie']).toEqual(['visits=1; Path=/']);
    const again = await request(fx.session.platform.edge, fx.app.host, '/', { headers: { cookie: 'visits=1' } });
    expect(textOf(again.body, 'visits')).toBe('visit 2');
  });

  test('API endpoint: POST with a JSON body', async () => {
    const res = await request(fx.session.platform.edge, fx.app.host, '/api/echo', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ a: [1, 2] }) });
    expect([res.status, res.json()]).toEqual([201, { echo: { a: [1, 2] }, method: 'POST' }]);
  });

  test('a path no page has: the 404 route sends it to the function, which answers 404', async () => {
    const res = await request(fx.session.platform.edge, fx.app.host, '/no/such/page');
    expect(res.status).toBe(404);
  });
});
