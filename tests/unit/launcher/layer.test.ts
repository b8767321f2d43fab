import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CloudFrontRequest } from 'aws-lambda';
import { afterAll, expect, test, vi } from 'vitest';
import { toFunctionOrigin } from '../../../functions/src/edge/function-origin.ts';
import { eventFromRequest } from '../../../functions/src/launcher/protocol.ts';

/**
 * The launcher layer's entry between the edge and the user's code: a request the edge signed
 * reaches the function as the visitor sent it — the visitor's Authorization back, no SigV4 headers.
 */
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'runway-layer-'));
fs.writeFileSync(path.join(root, '.vc-config.json'), JSON.stringify({ runtime: 'nodejs22.x', handler: 'index.mjs', launcherType: 'Nodejs', shouldAddHelpers: true }));
fs.writeFileSync(
  path.join(root, 'index.mjs'),
  `export default (req, res) => res.json({ authorization: req.headers.authorization ?? null, signing: Object.keys(req.headers).filter((h) => h.startsWith('x-amz-') || h.startsWith('x-runway-')), body: req.body });`,
);
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const host = 'abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws';

test("a signed request reaches the user's code with the visitor's Authorization and without the edge's signing headers", async () => {
  vi.stubEnv('LAMBDA_TASK_ROOT', root);
  const { handler } = await import('../../../functions/src/launcher/layer.ts');
  const body = Buffer.from('{"a":1}');
  const request: CloudFrontRequest = {
    clientIp: '203.0.113.1',
    method: 'POST',
    uri: '/d/dpl_x/api/echo',
    querystring: '',
    headers: { authorization: [{ key: 'Authorization', value: 'Bearer visitor' }], 'content-type': [{ key: 'Content-Type', value: 'application/json' }] },
    body: { action: 'read-only', data: body.toString('base64'), encoding: 'base64', inputTruncated: false },
  };
  const signed = (await toFunctionOrigin(
    request,
    { kind: 'function', name: 'api/echo', fn: { sha: 'a'.repeat(64), paths: ['api/echo'], runtime: 'nodejs22.x', supportsResponseStreaming: false, maxDurationSeconds: 10 }, path: '/api/echo', query: '', matchedPath: '/api/echo', headers: {} },
    host,
    { accessKeyId: 'AKID', secretAccessKey: 'secret', sessionToken: 'token' },
  )) as CloudFrontRequest;
  expect(signed.headers.authorization?.[0]?.value).toMatch(/^AWS4-HMAC-SHA256 /);
  // What Lambda hands the function: the request CloudFront sent to the URL.
  const headers = Object.fromEntries(Object.entries(signed.headers).map(([k, v]) => [k, v.map((h) => h.value).join(', ')]));
  const event = eventFromRequest({ method: 'POST', url: signed.uri, headers, body, requestId: 'r' });
  const result = (await (handler as (e: typeof event) => Promise<{ statusCode: number; body: string }>)(event));
  expect(result.statusCode).toBe(200);
  expect(JSON.parse(Buffer.from(result.body, 'base64').toString())).toEqual({ authorization: 'Bearer visitor', signing: [], body: { a: 1 } });
  vi.unstubAllEnvs();
});

test('the function sees what the local host gives it: x-matched-path, the visitor’s host, https, the viewer’s address — not the Function URL’s', async () => {
  // Another function (the launcher keeps the first one's module loaded).
  const echo = path.join(root, 'echo-headers');
  fs.mkdirSync(echo);
  fs.copyFileSync(path.join(root, '.vc-config.json'), path.join(echo, '.vc-config.json'));
  fs.writeFileSync(path.join(echo, 'index.mjs'), `export default (req, res) => res.json(req.headers);`);
  vi.stubEnv('LAMBDA_TASK_ROOT', echo);
  vi.resetModules();
  const { handler } = await import('../../../functions/src/launcher/layer.ts');
  const request: CloudFrontRequest = {
    clientIp: '203.0.113.7',
    method: 'GET',
    uri: '/d/dpl_x/posts/1',
    querystring: '',
    headers: {
      'x-runway-host': [{ key: 'x-runway-host', value: 'shop.example.com' }],
      'x-runway-viewer-authorization': [{ key: 'x-runway-viewer-authorization', value: 'Bearer v' }],
      'x-forwarded-proto': [{ key: 'X-Forwarded-Proto', value: 'gopher' }],
    },
  };
  const signed = (await toFunctionOrigin(
    request,
    { kind: 'function', name: 'posts/[id]', fn: { sha: 'a'.repeat(64), paths: ['posts/[id]'], runtime: 'nodejs22.x', supportsResponseStreaming: false, maxDurationSeconds: 10 }, path: '/posts/1', query: 'id=1', matchedPath: '/posts/[id]', headers: {} },
    host,
    { accessKeyId: 'AKID', secretAccessKey: 'secret' },
  )) as CloudFrontRequest;
  const headers = Object.fromEntries(Object.entries(signed.headers).map(([k, v]) => [k, v.map((h) => h.value).join(', ')]));
  // CloudFront appends the viewer's address to X-Forwarded-For; the Function URL sets its own proto/port.
  Object.assign(headers, { 'x-forwarded-for': '203.0.113.7, 130.176.0.1', 'x-forwarded-proto': 'https', 'x-forwarded-port': '443' });
  const event = eventFromRequest({ method: 'GET', url: `${signed.uri}?${signed.querystring}`, headers, body: Buffer.alloc(0), requestId: 'r' });
  const result = await (handler as (e: typeof event) => Promise<{ statusCode: number; body: string }>)(event);
  const seen = JSON.parse(Buffer.from(result.body, 'base64').toString()) as Record<string, string>;
  expect(seen).toMatchObject({
    'x-matched-path': '/posts/[id]',
    'x-forwarded-host': 'shop.example.com',
    'x-forwarded-proto': 'https',
    'x-forwarded-for': '203.0.113.7',
    'x-real-ip': '203.0.113.7',
    'x-vercel-forwarded-for': '203.0.113.7',
    'x-vercel-deployment-url': 'shop.example.com',
    authorization: 'Bearer v',
  });
  expect(Object.keys(seen).filter((h) => h.startsWith('x-runway-') || (h.startsWith('x-amz-') && h !== 'x-amz-cf-id'))).toEqual([]);
  vi.unstubAllEnvs();
});
