import { describe, expect, test } from 'vitest';
import { deployedFixture, request, textOf } from './harness.ts';

/**
 * Next.js 16 App Router, zero config: no `output: 'export'`, so the builder runs `vercel build`
 * (Vercel CLI 58.10.0, offline) and deploys its .vercel/output. Fixture: tests/fixtures/frameworks/next-app.
 */
const fx = deployedFixture('next-app', { GREETING: { value: 'hello from a runtime env var', sensitive: true } });

describe('Next.js App Router through vercel build and the local edge', () => {
  test('built by vercel build: its functions are in the deployment', () => {
    expect(fx.app.manifest.framework).toBe('nextjs');
    const paths = Object.values(fx.app.manifest.functions ?? {}).flatMap((f) => f.paths);
    expect(paths).toEqual(expect.arrayContaining(['index', 'api/hello', 'guestbook']));
  });

  test('server component: rendered per request, reading a (sensitive) runtime env var', async () => {
    const page = await request(fx.session.platform.edge, fx.app.host, '/?name=Ada', { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body.replace(/<!-- -->/g, '')).toContain('<h1>Hello Ada from Next.js</h1>');
    expect(textOf(page.body, 'greeting')).toBe('hello from a runtime env var');
    const other = await request(fx.session.platform.edge, fx.app.host, '/?name=Grace', { headers: { accept: 'text/html' } });
    expect(other.body.replace(/<!-- -->/g, '')).toContain('<h1>Hello Grace from Next.js</h1>');
  });

  test('route handler: GET with query and cookie, POST with a JSON body', async () => {
    const get = await request(fx.session.platform.edge, fx.app.host, '/api/hello?name=Lin', { headers: { cookie: 'flavour=mint' } });
    expect(get.status).toBe(200);
    expect(get.json()).toEqual({ hello: 'Lin', path: '/api/hello', cookie: 'mint' });
    const post = await request(fx.session.platform.edge, fx.app.host, '/api/hello', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ n: 1 }) });
    expect([post.status, post.json()]).toEqual([201, { received: { n: 1 } }]);
  });

  test('server action: the form posted without JavaScript runs the action, which sets a cookie and redirects', async () => {
    const form = await request(fx.session.platform.edge, fx.app.host, '/guestbook', { headers: { accept: 'text/html' } });
    expect(textOf(form.body, 'signed')).toBe('not signed');
    const actionField = /name="(\$ACTION_ID_[0-9a-f]+)"/.exec(form.body)?.[1];
    expect(actionField).toBeDefined();
    const boundary = '----runway-test';
    const part = (name: string, value: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
    const posted = await request(fx.session.platform.edge, fx.app.host, '/guestbook', {
      method: 'POST',
      headers: { accept: 'text/html', origin: `http://${fx.app.host}`, 'content-type': `multipart/form-data; boundary=${boundary}` },
      body: `${part(actionField!, '')}${part('name', 'ada')}--${boundary}--\r\n`,
    });
    expect(posted.status).toBe(303);
    expect(posted.headers.location).toBe('/guestbook?signed=ADA');
    expect(posted.headers['set-cookie']).toEqual([expect.stringMatching(/^signed=ADA; Path=\//)]);
    const after = await request(fx.session.platform.edge, fx.app.host, '/guestbook?signed=ADA', { headers: { accept: 'text/html', cookie: 'signed=ADA' } });
    expect([textOf(after.body, 'signed'), textOf(after.body, 'cookie')]).toEqual(['signed by ADA', 'ADA']);
  });

  test('ISR page: its build-time fallback is a static file at its path; the RSC payload still comes from the function behind it', async () => {
    const first = await request(fx.session.platform.edge, fx.app.host, '/isr', { headers: { accept: 'text/html' } });
    expect(first.status).toBe(200);
    expect(first.headers['content-type']).toMatch(/^text\/html/);
    const rendered = textOf(first.body, 'rendered');
    expect(rendered).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    // Rendered during the build, before the deployment was created's READY answer.
    expect(Date.parse(rendered!)).toBeLessThanOrEqual(Date.parse(String(fx.app.deployment.readyAt ?? new Date().toISOString())));
    // Served as a file: an ETag, and the same bytes every time (revalidation is not implemented).
    expect(first.headers.etag).toBeDefined();
    const again = await request(fx.session.platform.edge, fx.app.host, '/isr', { headers: { accept: 'text/html' } });
    expect(textOf(again.body, 'rendered')).toBe(rendered);
    // A client-side navigation asks for the RSC payload: Next's routes send it to the isr.rsc function.
    const rsc = await request(fx.session.platform.edge, fx.app.host, '/isr', { headers: { rsc: '1' } });
    expect(rsc.status).toBe(200);
    expect(rsc.headers['content-type']).toMatch(/^text\/x-component/);
  });

  test('static chunks are files of the deployment, immutable', async () => {
    const page = await request(fx.session.platform.edge, fx.app.host, '/', { headers: { accept: 'text/html' } });
    const chunk = /\/_next\/static\/chunks\/[\w.-]+\.js/.exec(page.body)?.[0];
    expect(chunk).toBeDefined();
    const js = await request(fx.session.platform.edge, fx.app.host, chunk!);
    expect(js.status).toBe(200);
    // @vercel/next's own header route (its spelling) wins over Runway's default for _next/static.
    expect(js.headers['cache-control']).toBe('public,max-age=31536000,immutable');
  });
});
