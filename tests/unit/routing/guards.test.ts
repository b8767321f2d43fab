import { expect, test } from 'vitest';
import { compileBuildOutputConfig, InvalidRoutingConfigError, parseBuildOutputConfig } from '../../../functions/src/core/routing/config.ts';
import { assertSafePatterns, checkPatterns } from '../../../functions/src/core/routing/guards.ts';
import { nextSizedDeployment } from '../../support/next-routes.ts';

/** recheck's pure-JS build runs here without its native binary or a JVM (the backend the builder bundles). */
test('the checker runs on its pure-JavaScript backend', async () => {
  await checkPatterns(parseBuildOutputConfig({ version: 3, routes: [{ src: '^/a$' }] }));
  expect(process.env.RECHECK_BACKEND).toBe('pure');
});

test('a catastrophic route src is refused, naming the route, its pattern and its complexity', async () => {
  const config = parseBuildOutputConfig({ version: 3, routes: [{ src: '^/ok$', dest: '/x' }, { src: '^/(a+)+$', dest: '/x' }] });
  const error = await assertSafePatterns(config, 'config.json').catch((e: unknown) => e);
  expect(error).toBeInstanceOf(InvalidRoutingConfigError);
  expect((error as InvalidRoutingConfigError).code).toBe('invalid_routing_config');
  expect((error as Error).message).toContain('routes[1].src "^/(a+)+$" can take exponential time');
  expect((error as Error).message).not.toContain('routes[0]');
});

test('a catastrophic has / missing value is refused too', async () => {
  const config = parseBuildOutputConfig({
    version: 3,
    routes: [
      { src: '^/$', has: [{ type: 'header', key: 'x-a', value: '(x|x)*y' }], status: 403 },
      { src: '^/b$', missing: [{ type: 'query', key: 'q', value: { re: '^(b+)+c$' } }], status: 403 },
    ],
  });
  const report = await checkPatterns(config);
  expect(report.unsafe.map((u) => [u.where, u.complexity])).toEqual([
    ['routes[0].has[0].value', 'exponential'],
    ['routes[1].missing[0].value.re', 'exponential'],
  ]);
});

test('a vercel.json redirect with nested quantifiers (issue 11 item 4) is refused after compiling', async () => {
  const config = compileBuildOutputConfig({ vercelJson: { redirects: [{ source: '/:path((?:a+)+b)', destination: '/x' }] } });
  await expect(assertSafePatterns(config, 'vercel.json')).rejects.toThrow(/vercel\.json: 1 route pattern\(s\) can make each request slow:\nroutes\[0\]\.src .* exponential/);
});

test('a polynomial pattern (two greedy wildcards) is refused with the rewrite advice', async () => {
  const config = compileBuildOutputConfig({ vercelJson: { redirects: [{ source: '/(.*)/(.*)', destination: '/x' }] } });
  await expect(assertSafePatterns(config)).rejects.toThrow(/polynomial time[\s\S]*"\(\.\*\)\/\(\.\*\)" → "\(\[\^\/\]\*\)\/\(\.\*\)"/);
});

test('a Next-sized table (≥ 200 routes, routing-utils output and @vercel/next phases) passes', async () => {
  const { config } = nextSizedDeployment();
  expect(config.routes!.filter((r) => !('handle' in r)).length).toBeGreaterThanOrEqual(200);
  const report = await assertSafePatterns(parseBuildOutputConfig(config));
  expect(report.unsafe).toEqual([]);
  expect(report.checked).toBeGreaterThan(100);
}, 180_000);
