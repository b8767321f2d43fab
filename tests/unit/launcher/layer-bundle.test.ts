import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, expect, test } from 'vitest';
import { launcherLayerBuildOptions } from '../../../infra/lib/bundling.ts';

/**
 * The launcher layer as CDK builds it (same esbuild options), run the way Lambda runs it: a fresh
 * Node process with the function's zip contents as LAMBDA_TASK_ROOT imports `/opt/runway/launcher.mjs`
 * (here `<tmp>/opt/...`) and calls its `handler` with a Function URL event.
 */
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'runway-layer-bundle-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

test('the bundled layer loads the user function from LAMBDA_TASK_ROOT and answers an event, visitor Authorization restored; it stays small', async () => {
  const opt = path.join(root, 'opt');
  await build(launcherLayerBuildOptions(opt));
  const bundle = path.join(opt, 'runway', 'launcher.mjs');
  expect(fs.statSync(bundle).size).toBeLessThan(64 * 1024);
  const task = path.join(root, 'task');
  fs.mkdirSync(task);
  fs.writeFileSync(path.join(task, '.vc-config.json'), JSON.stringify({ runtime: 'nodejs22.x', handler: 'index.mjs', launcherType: 'Nodejs', shouldAddHelpers: true }));
  fs.writeFileSync(path.join(task, 'index.mjs'), 'export default (req, res) => res.status(201).json({ q: req.query.q, auth: req.headers.authorization ?? null, amz: Object.keys(req.headers).filter((h) => h.startsWith("x-amz-")) });');
  const event = {
    version: '2.0', routeKey: '$default', rawPath: '/api/x', rawQueryString: 'q=1', isBase64Encoded: false,
    headers: { host: 'h', authorization: 'AWS4-HMAC-SHA256 Credential=x', 'x-runway-viewer-authorization': 'Bearer visitor', 'x-amz-date': '20261206T000000Z', 'x-amz-content-sha256': 'e3b0' },
    requestContext: { http: { method: 'GET', path: '/api/x', protocol: 'HTTP/1.1', sourceIp: '203.0.113.1', userAgent: 'test' }, requestId: 'r', timeEpoch: 0, time: '06/Dec/2026:00:00:00 +0000', domainName: 'h', accountId: 'anonymous', apiId: 'x', stage: '$default' },
  };
  const script = `const { handler } = await import(${JSON.stringify(bundle)}); const out = await handler(${JSON.stringify(event)}, {}); process.stdout.write(JSON.stringify({ status: out.statusCode, body: Buffer.from(out.body, 'base64').toString() })); process.exit(0);`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env: { PATH: process.env.PATH, LAMBDA_TASK_ROOT: task }, encoding: 'utf8', timeout: 30_000 });
  expect(run.stderr).toBe('');
  const out = JSON.parse(run.stdout) as { status: number; body: string };
  expect(out.status).toBe(201);
  expect(JSON.parse(out.body)).toEqual({ q: '1', auth: 'Bearer visitor', amz: [] });
});
