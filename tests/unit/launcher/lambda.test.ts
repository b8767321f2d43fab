import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, test, vi } from 'vitest';
import { eventFromRequest } from '../../../functions/src/launcher/protocol.ts';

/** The buffered Lambda entry, loaded from a real `.func` directory as LAMBDA_TASK_ROOT. */
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'runway-lambda-'));
fs.writeFileSync(path.join(root, '.vc-config.json'), JSON.stringify({ runtime: 'nodejs22.x', handler: 'index.mjs', launcherType: 'Nodejs', shouldAddHelpers: true }));
fs.writeFileSync(path.join(root, 'index.mjs'), `export default (req, res) => res.status(418).json({ q: req.query.q, c: req.cookies.c });`);
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

test('a buffered function answers a Function URL event with statusCode, headers, cookies and a base64 body', async () => {
  vi.stubEnv('LAMBDA_TASK_ROOT', root);
  const { handler } = await import('../../../functions/src/launcher/lambda.ts');
  const event = eventFromRequest({ method: 'GET', url: '/api?q=1', headers: { host: 'x.example', cookie: 'c=2' }, body: Buffer.alloc(0), requestId: 'r' });
  const result = (await (handler as (e: typeof event) => Promise<{ statusCode: number; headers: Record<string, string>; body: string; isBase64Encoded: boolean }>)(event));
  expect(result.statusCode).toBe(418);
  expect(result.headers['content-type']).toBe('application/json; charset=utf-8');
  expect(JSON.parse(Buffer.from(result.body, 'base64').toString())).toEqual({ q: '1', c: '2' });
  vi.unstubAllEnvs();
});
