import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { expect, test } from 'vitest';
import { BUILDER_BUNDLE } from '../../../functions/src/builder/bundle.ts';
import { compileBuildOutputConfig, InvalidRoutingConfigError, parseBuildOutputConfig } from '../../../functions/src/core/routing/config.ts';
import { assertSafePatterns, checkPatterns } from '../../../functions/src/core/routing/guards.ts';
import { nextSizedDeployment } from '../../support/next-routes.ts';

/**
 * recheck's pure-JS build runs where the builder runs: bundled with the builder's esbuild options
 * (one ESM file, no node_modules beside it), in a plain node process, no native binary, JVM or worker.
 */
test('bundled as the builder is bundled, the guard runs and refuses a catastrophic pattern', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'guard-bundle-'));
  try {
    const entry = path.join(dir, 'entry.ts');
    fs.writeFileSync(
      entry,
      [
        `import { assertSafePatterns } from ${JSON.stringify(path.resolve('functions/src/core/routing/guards.ts'))};`,
        `import { parseBuildOutputConfig } from ${JSON.stringify(path.resolve('functions/src/core/routing/schema.ts'))};`,
        "const safe = await assertSafePatterns(parseBuildOutputConfig({ version: 3, routes: [{ src: '^/a/([^/]+)$' }] }));",
        "const refused = await assertSafePatterns(parseBuildOutputConfig({ version: 3, routes: [{ src: '^/(a+)+$' }] })).catch((e) => e.message);",
        'console.log(JSON.stringify({ checked: safe.checked, refused }));',
      ].join('\n'),
    );
    await build({ ...BUILDER_BUNDLE, entryPoints: [entry], outfile: path.join(dir, 'out.mjs'), logLevel: 'silent' });
    const { stdout } = await promisify(execFile)(process.execPath, [path.join(dir, 'out.mjs')], { cwd: dir, timeout: 60_000 });
    const out = JSON.parse(stdout) as { checked: number; refused: string };
    expect(out.checked).toBe(1);
    expect(out.refused).toContain('routes[0].src "^/(a+)+$" can take exponential time');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);

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

test("a framework's own config may keep polynomial patterns (Next.js 16's RSC routes), never exponential ones", async () => {
  const next = parseBuildOutputConfig({ version: 3, routes: [{ src: '/(.+)/\\.rsc$', dest: '/$1.rsc' }] });
  const report = await assertSafePatterns(next, 'config.json', { allowPolynomial: true });
  expect(report.unsafe).toEqual([expect.objectContaining({ where: 'routes[0].src', complexity: 'polynomial' })]);
  await expect(assertSafePatterns(next, 'config.json')).rejects.toThrow(/polynomial/);
  const exponential = parseBuildOutputConfig({ version: 3, routes: [{ src: '^/(a+)+$' }] });
  await expect(assertSafePatterns(exponential, 'config.json', { allowPolynomial: true })).rejects.toThrow(/exponential/);
});

test('a Next-sized table (≥ 200 routes, routing-utils output and @vercel/next phases) passes', async () => {
  const { config } = nextSizedDeployment();
  expect(config.routes!.filter((r) => !('handle' in r)).length).toBeGreaterThanOrEqual(200);
  const report = await assertSafePatterns(parseBuildOutputConfig(config));
  expect(report.unsafe).toEqual([]);
  expect(report.checked).toBeGreaterThan(100);
}, 180_000);
