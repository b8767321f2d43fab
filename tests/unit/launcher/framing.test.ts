import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { text } from 'node:stream/consumers';
import { afterAll, expect, test } from 'vitest';
import { loadFunction } from '../../../functions/src/launcher/launcher.ts';
import { eventFromRequest } from '../../../functions/src/launcher/protocol.ts';

/**
 * What a function answers is framed again by the edge: a Web handler's own `content-length` and
 * `transfer-encoding` (together a request-smuggling pair for a proxy in front of the edge) and other
 * hop-by-hop headers never pass, and a status a visitor cannot be sent fails the invocation.
 */
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'runway-framing-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

async function answer(source: string, url = '/') {
  const dir = fs.mkdtempSync(path.join(root, 'fn-'));
  fs.writeFileSync(path.join(dir, 'index.mjs'), source);
  const fn = await loadFunction(dir, { handler: 'index.mjs', shouldAddHelpers: true, maxDurationSeconds: 5 } );
  try {
    const res = await fn.invoke(eventFromRequest({ method: 'GET', url, headers: { host: 'x.example' }, body: Buffer.alloc(0), requestId: 'r' }));
    return { status: res.statusCode, headers: res.headers, body: await text(res.body) };
  } finally {
    await fn.close();
  }
}

test('a Web handler cannot send content-length with transfer-encoding, nor other hop-by-hop headers', async () => {
  const res = await answer(`export function GET() {
    return new Response('SMUGGLED', { headers: { 'content-length': '0', 'transfer-encoding': 'chunked', connection: 'close', 'x-own': 'kept' } });
  }`);
  expect(res.status).toBe(200);
  expect(res.body).toBe('SMUGGLED');
  expect(res.headers['x-own']).toBe('kept');
  for (const name of ['content-length', 'transfer-encoding', 'connection']) expect(res.headers).not.toHaveProperty(name);
});

test.each([600, 999])('a (req, res) handler answering status %i fails the invocation, with nothing of its headers', async (status) => {
  const res = await answer(`export default (req, res) => { res.setHeader('x-own', 'leaked'); res.writeHead(${status}); res.end('A status'); };`);
  expect(res.status).toBe(500);
  expect(res.headers['x-vercel-error']).toBe('FUNCTION_INVOCATION_FAILED');
  expect(res.headers).not.toHaveProperty('x-own');
  expect(res.body).toContain('FUNCTION_INVOCATION_FAILED');
});
