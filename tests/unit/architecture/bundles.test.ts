import fs from 'node:fs';
import { afterAll, expect, test } from 'vitest';
import { bundleAll, bundleDir, type BundleFigures } from '../../../bench/bundles.ts';
import { deployableEntries, esbuildTargetOf, LAMBDA_RUNTIME, MAX_BUNDLE_BYTES, SDK_MODE } from '../../../infra/lib/bundling.ts';

/**
 * Every function that runs on Lambda, bundled exactly as the stacks bundle it, stays at most
 * 512 KB: cold starts grow with what a function loads. The builder runs in CodeBuild (no cold
 * start per request); its size is reported by `npm run bench:api`, not limited here.
 */
const dir = bundleDir();
let bundles: Promise<BundleFigures[]> | undefined;
const bundled = () => (bundles ??= bundleAll(dir, SDK_MODE, (entry) => entry.kind !== 'codebuild'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('every deployable Lambda entry is bundled (the HTTP handlers, the event and job functions, Lambda@Edge)', async () => {
  const names = (await bundled()).map((b) => b.entry.name);
  expect(names).toEqual(deployableEntries().filter((e) => e.kind !== 'codebuild').map((e) => e.name));
  expect(names.length).toBeGreaterThanOrEqual(16);
}, 120_000);

test('the list holds every handler file a stack deploys (a function missing from it would escape the size limit)', () => {
  const infra = fs.readdirSync('infra/lib', { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  const deployed = infra.flatMap((f) => [...fs.readFileSync(`infra/lib/${f}`, 'utf8').matchAll(/handlerFile: '([\w/-]+)\.ts'/g)].map((m) => m[1]!));
  const listed = deployableEntries().map((e) => e.name);
  expect(deployed.length).toBeGreaterThanOrEqual(5);
  expect(deployed.filter((name) => !listed.includes(name))).toEqual([]);
});

test.each(deployableEntries().filter((e) => e.kind !== 'codebuild').map((e) => e.name))(`%s: bundle ≤ ${MAX_BUNDLE_BYTES / 1024} KB`, async (name) => {
  const bundle = (await bundled()).find((b) => b.entry.name === name)!;
  const largest = Object.entries(bundle.top).map(([pkg, bytes]) => `${pkg} ${Math.round(bytes / 1024)} KB`).join(', ');
  expect(bundle.bytes, `${name} is ${Math.round(bundle.bytes / 1024)} KB (largest: ${largest})`).toBeLessThanOrEqual(MAX_BUNDLE_BYTES);
}, 120_000);

test("the esbuild target is the Lambda runtime's Node.js", () => {
  expect(esbuildTargetOf(LAMBDA_RUNTIME)).toBe('node24');
  expect(() => esbuildTargetOf('python3.13')).toThrow();
});
