import { describe, expect, test } from 'vitest';
import { deployedFixture, request, textOf } from './harness.ts';

/**
 * Nuxt 4 zero config: detected as Nuxt, built with NITRO_PRESET=vercel (set by Runway's detection),
 * so Nitro writes .vercel/output. Fixture: tests/fixtures/frameworks/nuxt-vercel.
 */
const fx = deployedFixture('nuxt-vercel', { GREETING: { value: 'hello from a runtime env var' } });

describe('Nuxt + the vercel Nitro preset through the local edge', () => {
  test('detected as Nuxt; the preset made functions', () => {
    expect(fx.app.manifest.framework).toBe('nuxt');
    expect(Object.values(fx.app.manifest.functions ?? {}).flatMap((f) => f.paths)).toEqual(expect.arrayContaining(['__fallback', 'api/hello']));
  });

  test('SSR page: rendered on the server with data from its own API route and a runtime env var', async () => {
    const page = await request(fx.session.platform.edge, fx.app.host, '/?name=Ada', { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('<h1>Hello Ada from Nuxt</h1>');
    expect(textOf(page.body, 'greeting')).toBe('hello from a runtime env var');
  });

  test('server API route: JSON with the query', async () => {
    const res = await request(fx.session.platform.edge, fx.app.host, '/api/hello?name=Bo');
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ hello: 'Bo', greeting: 'hello from a runtime env var', path: '/api/hello?name=Bo' });
  });

  test('client assets are static files of the deployment, immutable per its routes', async () => {
    const page = await request(fx.session.platform.edge, fx.app.host, '/', { headers: { accept: 'text/html' } });
    const asset = /\/_nuxt\/[\w-]+\.js/.exec(page.body)?.[0];
    expect(asset).toBeDefined();
    const js = await request(fx.session.platform.edge, fx.app.host, asset!);
    // Nitro writes two header routes for /_nuxt/ assets; as in Vercel's router, the later one's value wins.
    expect([js.status, js.headers['cache-control']]).toEqual([200, 'public,max-age=31536000,immutable']);
  });
});
