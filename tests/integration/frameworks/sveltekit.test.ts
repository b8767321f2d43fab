import { describe, expect, test } from 'vitest';
import { deployedFixture, request, textOf } from './harness.ts';

/**
 * SvelteKit 2 with @sveltejs/adapter-vercel, zero config: detected as SvelteKit, `vite build` writes
 * .vercel/output, its functions run behind the local edge. Fixture: tests/fixtures/frameworks/sveltekit-vercel.
 */
const fx = deployedFixture('sveltekit-vercel', { GREETING: { value: 'hello from a runtime env var' } });

const browser = { accept: 'text/html' };

describe('SvelteKit + adapter-vercel through the local edge', () => {
  test('detected as SvelteKit; its functions are in the deployment', () => {
    expect(fx.app.manifest.framework).toBe('sveltekit');
    const paths = Object.values(fx.app.manifest.functions ?? {}).flatMap((f) => f.paths);
    expect(paths).toEqual(expect.arrayContaining(['index', 'api/hello']));
  });

  test('SSR page: rendered per request from the query and a runtime env var', async () => {
    const page = await request(fx.session.platform.edge, fx.app.host, '/?name=Ada', { headers: browser });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(textOf(page.body, 'greeting')).toBe('hello from a runtime env var');
    expect(page.body).toContain('<h1>Hello Ada from SvelteKit</h1>');
    const other = await request(fx.session.platform.edge, fx.app.host, '/?name=Grace', { headers: browser });
    expect(other.body).toContain('<h1>Hello Grace from SvelteKit</h1>');
  });

  test('form action: a POST from a plain HTML form runs the action and renders its result', async () => {
    const origin = `http://${fx.app.host}`;
    const posted = await request(fx.session.platform.edge, fx.app.host, '/', {
      method: 'POST',
      headers: { ...browser, origin, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'item=milk',
    });
    expect(posted.status).toBe(200);
    expect(textOf(posted.body, 'result')).toBe('added MILK');
    // The action's own validation answers too.
    const empty = await request(fx.session.platform.edge, fx.app.host, '/', { method: 'POST', headers: { ...browser, origin, 'content-type': 'application/x-www-form-urlencoded' }, body: 'item=' });
    expect(textOf(empty.body, 'result')).toBe('item is required');
  });

  test('+server.ts endpoint: GET with query and cookie, POST with a JSON body', async () => {
    const get = await request(fx.session.platform.edge, fx.app.host, '/api/hello?name=Lin', { headers: { cookie: 'flavour=mint' } });
    expect([get.status, get.headers['content-type']]).toEqual([200, 'application/json']);
    expect(get.json()).toEqual({ hello: 'Lin', cookie: 'mint', path: '/api/hello' });
    const post = await request(fx.session.platform.edge, fx.app.host, '/api/hello', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ n: 42 }) });
    expect([post.status, post.json()]).toEqual([201, { received: { n: 42 } }]);
  });

  test('static assets come from the deployment, not the function', async () => {
    const page = await request(fx.session.platform.edge, fx.app.host, '/', { headers: browser });
    const asset = /\/_app\/immutable\/entry\/start\.[\w-]+\.js/.exec(page.body)?.[0];
    expect(asset).toBeDefined();
    const js = await request(fx.session.platform.edge, fx.app.host, asset!);
    expect(js.status).toBe(200);
    expect(js.headers['cache-control']).toBe('public, immutable, max-age=31536000');
  });
});
