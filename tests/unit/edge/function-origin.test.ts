import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { CloudFrontRequest, CloudFrontResponse, CloudFrontResultResponse } from 'aws-lambda';
import { describe, expect, test } from 'vitest';
import {
  CARRIED_HEADERS,
  EDGE_BODY_LIMIT_BYTES,
  FORWARDED_HEADER,
  FUNCTION_ANSWER_HEADER,
  type FunctionAnswer,
  functionAnswerOf,
  functionResponse,
  regionOfFunctionUrlHost,
  toFunctionOrigin,
  VIEWER_AUTHORIZATION_HEADER,
} from '../../../functions/src/edge/function-origin.ts';
import { parseFunctionConfig } from '../../../functions/src/core/functions/config.ts';
import { functionQuery, functionRequestHeaders } from '../../../functions/src/core/functions/function-request.ts';
import { compileBuildOutputConfig } from '../../../functions/src/core/routing/config.ts';
import { buildDeploymentIndex, deploymentIndexKey } from '../../../functions/src/core/routing/deployment-index.ts';
import { filesGetOrHeadOnly } from '../../../functions/src/edge/origin-request-aws.ts';
import { createOriginRequestHandler } from '../../../functions/src/edge/origin-request.ts';
import { createOriginResponseHandler } from '../../../functions/src/edge/origin-response.ts';
import { IndexCache } from '../../../functions/src/edge/serve.ts';

const host = 'abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws';
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', sessionToken: 'session-token-example' };
const now = new Date('2026-12-06T21:30:00Z');

function cfRequest(over: Partial<CloudFrontRequest> = {}): CloudFrontRequest {
  return {
    clientIp: '203.0.113.1',
    method: 'GET',
    uri: '/d/dpl_abc/api/hello',
    querystring: '',
    headers: { host: [{ key: 'Host', value: 'd111.cloudfront.net' }], 'x-runway-host': [{ key: 'x-runway-host', value: 'app.example.com' }] },
    origin: { s3: { domainName: 'bucket.s3.eu-west-1.amazonaws.com', authMethod: 'none', path: '', customHeaders: {} } },
    ...over,
  };
}

const fnAnswer = (over: Partial<FunctionAnswer> = {}): FunctionAnswer => ({
  kind: 'function',
  name: 'api/hello',
  fn: { sha: 'a'.repeat(64), paths: ['api/hello'], runtime: 'nodejs22.x', supportsResponseStreaming: false, maxDurationSeconds: 15 },
  path: '/api/hello',
  query: '',
  matchedPath: '/api/hello',
  headers: {},
  ...over,
});

const header = (req: CloudFrontRequest, name: string) => req.headers[name]?.[0]?.value;

/** The Authorization an independent SigV4 implementation (@smithy/signature-v4, the AWS SDK's) computes for what CloudFront will send. */
async function expectedAuthorization(sent: CloudFrontRequest, body: Buffer): Promise<string> {
  const signer = new SignatureV4({
    service: 'lambda',
    region: 'eu-west-1',
    credentials,
    // The SDK's Sha256 shape: an HMAC when given a secret (signing keys), a plain hash otherwise.
    sha256: class {
      private readonly h;
      constructor(secret?: Uint8Array | string) {
        this.h = secret === undefined ? createHash('sha256') : createHmac('sha256', secret);
      }
      update(data: Uint8Array | string) {
        this.h.update(data);
      }
      async digest() {
        return new Uint8Array(this.h.digest());
      }
    } as never,
  });
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of new URLSearchParams(sent.querystring)) {
    const prior = query[k];
    query[k] = prior === undefined ? v : ([] as string[]).concat(prior, v);
  }
  const signed = await signer.sign(
    {
      method: sent.method,
      protocol: 'https:',
      hostname: host,
      path: sent.uri,
      query,
      headers: { host, 'x-amz-content-sha256': header(sent, 'x-amz-content-sha256')! },
      body,
    },
    { signingDate: now },
  );
  return signed.headers.authorization as string;
}

describe('toFunctionOrigin: the request goes to the Function URL, SigV4-signed by the edge', () => {
  test('a POST with a body and the viewer’s Authorization: custom origin, host, body hash, a signature an independent signer agrees with', async () => {
    const body = Buffer.from(JSON.stringify({ hello: 'wörld' }));
    const request = cfRequest({
      method: 'POST',
      body: { action: 'read-only', data: body.toString('base64'), encoding: 'base64', inputTruncated: false },
      headers: {
        ...cfRequest().headers,
        authorization: [{ key: 'Authorization', value: 'Bearer user-token' }],
        'x-amz-security-token': [{ key: 'X-Amz-Security-Token', value: 'forged-by-viewer' }],
        'content-type': [{ key: 'Content-Type', value: 'application/json' }],
      },
    });
    const out = (await toFunctionOrigin(request, fnAnswer({ query: 'b=2&a=1&q=hello%20world' }), host, credentials, now)) as CloudFrontRequest;
    expect(out.origin?.custom).toMatchObject({ domainName: host, protocol: 'https', port: 443, readTimeout: 16 });
    expect(out.origin?.s3).toBeUndefined();
    expect(header(out, 'host')).toBe(host);
    expect(out.uri).toBe('/api/hello');
    expect(out.querystring).toBe('a=1&b=2&q=hello%20world');
    expect(header(out, 'x-amz-content-sha256')).toBe(createHash('sha256').update(body).digest('hex'));
    expect(header(out, 'x-amz-date')).toBe('20261206T213000Z');
    expect(header(out, 'x-amz-security-token')).toBe('session-token-example');
    expect(header(out, VIEWER_AUTHORIZATION_HEADER)).toBe('Bearer user-token');
    expect(header(out, 'content-type')).toBe('application/json');
    const authorization = header(out, 'authorization')!;
    expect(authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20261206\/eu-west-1\/lambda\/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$/);
    expect(authorization).toBe(await expectedAuthorization(out, body));
  });

  test('the signature covers the body: another body would not verify', async () => {
    const body = Buffer.from('a=1');
    const out = (await toFunctionOrigin(
      cfRequest({ method: 'PUT', body: { action: 'read-only', data: body.toString('base64'), encoding: 'base64', inputTruncated: false } }),
      fnAnswer(),
      host,
      credentials,
      now,
    )) as CloudFrontRequest;
    const forged = { ...out, headers: { ...out.headers, 'x-amz-content-sha256': [{ key: 'x', value: createHash('sha256').update('a=2').digest('hex') }] } };
    expect(header(out, 'authorization')).not.toBe(await expectedAuthorization(forged, Buffer.from('a=2')));
    expect(header(out, 'authorization')).toBe(await expectedAuthorization(out, body));
  });

  test('a GET without a body signs the empty payload; odd paths and queries still agree with the independent signer', async () => {
    for (const [path, query] of [
      ['/api/users/%C3%A9t%C3%A9', 'id=1&id=2&x=a%2Bb'],
      ['/api//double/(parens)', 'empty=&flag'],
      ['/', ''],
    ] as const) {
      const out = (await toFunctionOrigin(cfRequest(), fnAnswer({ path, query }), host, credentials, now)) as CloudFrontRequest;
      expect(header(out, 'x-amz-content-sha256')).toBe(createHash('sha256').update('').digest('hex'));
      expect(header(out, 'authorization')).toBe(await expectedAuthorization(out, Buffer.alloc(0)));
    }
  });

  test('a body Lambda@Edge truncated (over 1 MB) is a 413 with a clear message, not a call', async () => {
    const out = (await toFunctionOrigin(
      cfRequest({ method: 'POST', body: { action: 'read-only', data: 'AAAA', encoding: 'base64', inputTruncated: true } }),
      fnAnswer(),
      host,
      credentials,
      now,
    )) as CloudFrontResultResponse;
    expect(out.status).toBe('413');
    expect(out.body).toContain(`${EDGE_BODY_LIMIT_BYTES / 1024 / 1024} MB`);
  });

  test('a host that is not a Function URL is a 502; the read timeout follows maxDuration up to CloudFront’s 60 s', async () => {
    expect(((await toFunctionOrigin(cfRequest(), fnAnswer(), 'evil.example.com', credentials, now)) as CloudFrontResultResponse).status).toBe('502');
    expect(regionOfFunctionUrlHost(host)).toBe('eu-west-1');
    const long = (await toFunctionOrigin(cfRequest(), fnAnswer({ fn: { ...fnAnswer().fn, maxDurationSeconds: 300 } }), host, credentials, now)) as CloudFrontRequest;
    expect(long.origin?.custom?.readTimeout).toBe(60);
  });

  test('the route’s status and headers travel to origin-response', async () => {
    const out = (await toFunctionOrigin(cfRequest(), fnAnswer({ status: 404, headers: { 'x-route': 'yes' } }), host, credentials, now)) as CloudFrontRequest;
    expect(functionAnswerOf(out)).toEqual({ status: 404, headers: { 'x-route': 'yes' } });
    expect(header(out, FUNCTION_ANSWER_HEADER)).toBeDefined();
  });
});

describe('origin-response for a function answer', () => {
  const response = (headers: Record<string, string>, status = '200'): CloudFrontResponse => ({
    status,
    statusDescription: 'OK',
    headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [{ key: k, value: v }]])),
  });
  const cc = (r: CloudFrontResponse) => r.headers['cache-control']?.[0]?.value;

  test('not cached at the CDN unless the function says s-maxage; the browser’s max-age is left alone (viewer-response strips s-maxage)', () => {
    expect(cc(functionResponse(response({}), { headers: {} }))).toBe('public, max-age=0, must-revalidate, s-maxage=0');
    expect(cc(functionResponse(response({ 'cache-control': 'max-age=60' }), { headers: {} }))).toBe('max-age=60, s-maxage=0');
    expect(cc(functionResponse(response({ 'cache-control': 'public, s-maxage=30, stale-while-revalidate=60' }), { headers: {} }))).toBe('public, s-maxage=30, stale-while-revalidate=60');
    // Never shared: an answer setting a cookie, or one to a request that carried the visitor's Authorization.
    expect(cc(functionResponse(response({ 'cache-control': 'public, s-maxage=30, stale-while-revalidate=60', 'set-cookie': 'sid=1' }), { headers: {} }))).toBe(
      'public, stale-while-revalidate=60, s-maxage=0',
    );
    const withCredentials = { headers: { [VIEWER_AUTHORIZATION_HEADER]: [{ key: VIEWER_AUTHORIZATION_HEADER, value: 'Bearer x' }] } };
    expect(cc(functionResponse(response({ 'cache-control': 's-maxage=30' }), { headers: {} }, withCredentials))).toBe('s-maxage=0');
    expect(cc(functionResponse(response({ 'cache-control': 'public, s-maxage=30' }), { headers: {} }, { headers: {} }))).toBe('public, s-maxage=30');
  });

  test('the function’s own headers win; route headers fill in; an error route’s status replaces a 2xx only', () => {
    const out = functionResponse(response({ 'content-type': 'application/json', 'x-own': 'fn' }), { status: 404, headers: { 'x-own': 'route', 'x-extra': 'route' } });
    expect(out.status).toBe('404');
    expect(out.headers['content-type']?.[0]?.value).toBe('application/json');
    expect(out.headers['x-own']?.[0]?.value).toBe('fn');
    expect(out.headers['x-extra']?.[0]?.value).toBe('route');
    expect(functionResponse(response({}, '500'), { status: 404, headers: {} }).status).toBe('500');
  });

  test('the origin-response handler leaves a function’s content-type and status alone (no static-file defaults)', async () => {
    const handler = createOriginResponseHandler();
    const request = (await toFunctionOrigin(cfRequest(), fnAnswer(), host, credentials, now)) as CloudFrontRequest;
    const out = await handler({
      Records: [{ cf: { config: { distributionDomainName: 'd', distributionId: 'E', eventType: 'origin-response', requestId: 'r' }, request, response: response({ 'content-type': 'text/event-stream' }, '201') } }],
    });
    expect(out.status).toBe('201');
    expect(out.headers?.['content-type']?.[0]?.value).toBe('text/event-stream');
  });
});

describe('origin-request routes a function’s path to its Function URL (the AWS wiring of onFunction)', () => {
  const files = { 'index.html': { sha: 'b'.repeat(64), size: 10, contentType: 'text/html; charset=utf-8' } };
  const index = buildDeploymentIndex({
    deploymentId: 'dpl_fn',
    teamId: 'team_1',
    manifest: { framework: 'static', files },
    config: compileBuildOutputConfig({ files: Object.keys(files) }),
    functions: [{ name: 'api/hello', sha: 'c'.repeat(64), paths: ['api/hello'], config: parseFunctionConfig('api/hello', { runtime: 'nodejs22.x', handler: 'index.mjs', launcherType: 'Nodejs' }).config }],
  });
  const indexes = new IndexCache(async (key) => (key === deploymentIndexKey('dpl_fn') ? JSON.stringify(index) : undefined));
  const urls: Record<string, Record<string, string>> = { dpl_fn: { 'api/hello': host } };
  const handle = createOriginRequestHandler(indexes, {
    onFunction: (request, answer, deploymentId) => toFunctionOrigin(request, answer, urls[deploymentId]![answer.name]!, credentials, now),
  });
  const viewer = (method: string, uri: string, querystring = ''): CloudFrontRequest => cfRequest({ method, uri, querystring, headers: { ...cfRequest().headers } });

  test('GET /api/hello?name=x goes, signed, to the function’s URL with the function path and query', async () => {
    const out = (await handle(viewer('GET', '/d/dpl_fn/api/hello', 'name=x'))) as CloudFrontRequest;
    expect(out.origin?.custom?.domainName).toBe(host);
    expect(out.uri).toBe('/api/hello');
    expect(out.querystring).toBe('name=x');
    expect(header(out, 'authorization')).toBe(await expectedAuthorization(out, Buffer.alloc(0)));
    expect(filesGetOrHeadOnly('GET', out)).toBe(out);
  });

  test('a POST to a function passes; a POST to a static file is a 405 (S3 answers GET and HEAD only)', async () => {
    const fn = await handle(viewer('POST', '/d/dpl_fn/api/hello'));
    expect(filesGetOrHeadOnly('POST', fn)).toBe(fn);
    const file = await handle(viewer('POST', '/d/dpl_fn/index.html'));
    const refused = filesGetOrHeadOnly('POST', file) as CloudFrontResultResponse;
    expect(refused.status).toBe('405');
    expect(refused.headers?.allow?.[0]?.value).toBe('GET, HEAD');
    expect(filesGetOrHeadOnly('GET', await handle(viewer('GET', '/d/dpl_fn/index.html')))).toHaveProperty('uri', '/blobs/team_1/' + 'b'.repeat(64));
  });

  test('without onFunction (an edge that runs no functions) a function answer is a 502', async () => {
    const bare = createOriginRequestHandler(indexes);
    expect(((await bare(viewer('GET', '/d/dpl_fn/api/hello'))) as CloudFrontResultResponse).status).toBe('502');
  });
});

describe('toFunctionOrigin: the function gets the request the local function host gives it (core/functions/function-request.ts)', () => {
  const visitor = (over: Partial<CloudFrontRequest> = {}) =>
    cfRequest({
      method: 'POST',
      uri: '/d/dpl_abc/blog/hello',
      querystring: 'page=2&__pathname=%2Fforged',
      headers: {
        ...cfRequest().headers,
        // viewer-request's copy of the visitor's Authorization (CloudFront drops the header itself).
        [VIEWER_AUTHORIZATION_HEADER]: [{ key: VIEWER_AUTHORIZATION_HEADER, value: 'Bearer from-viewer-request' }],
        'x-matched-path': [{ key: 'x-matched-path', value: '/forged' }],
        'x-forwarded-for': [{ key: 'X-Forwarded-For', value: '198.51.100.9' }],
        'x-vercel-id': [{ key: 'x-vercel-id', value: 'forged' }],
        'x-remove-me': [{ key: 'x-remove-me', value: '1' }],
        accept: [{ key: 'Accept', value: 'text/html' }, { key: 'Accept', value: 'application/json' }],
        'content-length': [{ key: 'Content-Length', value: '3' }],
        'x-amz-date': [{ key: 'X-Amz-Date', value: '19990101T000000Z' }],
        cookie: [{ key: 'Cookie', value: 'a=1' }, { key: 'Cookie', value: 'b=2' }],
      },
      body: { action: 'read-only', data: Buffer.from('a=1').toString('base64'), encoding: 'base64', inputTruncated: false },
      ...over,
    });
  const answerFor = () =>
    fnAnswer({
      name: 'blog/[slug]',
      path: '/blog/hello',
      matchedPath: '/blog/[slug]',
      query: 'page=2&slug=hello',
      requestTransforms: [
        { type: 'request.headers', op: 'set', target: { key: 'x-set' }, args: 'yes' },
        { type: 'request.headers', op: 'append', target: { key: 'accept' }, args: 'text/plain' },
        { type: 'request.headers', op: 'delete', target: { key: 'x-remove-me' } },
      ],
    });

  test('x-matched-path, forwarded host/proto/ip, x-vercel-*, transforms and the merged query — and the signature still verifies', async () => {
    const out = (await toFunctionOrigin(visitor(), answerFor(), host, credentials, now, 'cf-req-1')) as CloudFrontRequest;
    expect(header(out, 'x-matched-path')).toBe('/blog/[slug]');
    expect(header(out, 'x-forwarded-host')).toBe('app.example.com');
    expect(header(out, 'x-vercel-deployment-url')).toBe('app.example.com');
    expect(header(out, 'x-vercel-forwarded-for')).toBe('203.0.113.1');
    expect(header(out, 'x-vercel-id')).toMatch(/::cf-req-1$/);
    expect(header(out, 'x-set')).toBe('yes');
    expect(header(out, 'accept')).toBe('text/html, application/json, text/plain');
    expect(out.headers['x-remove-me']).toBeUndefined();
    expect(header(out, 'host')).toBe(host);
    // Headers edge functions may not set travel to the layer, whatever the viewer sent.
    expect(out.headers['x-real-ip']).toBeUndefined();
    expect(out.headers['x-forwarded-proto']).toBeUndefined();
    expect(out.headers['x-forwarded-for']).toBeUndefined();
    expect(JSON.parse(decodeURIComponent(header(out, FORWARDED_HEADER)!))).toEqual({ 'x-real-ip': '203.0.113.1', 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.1' });
    // The visitor's Authorization goes on beside the signature; no x-runway-* of the viewer's passes except ours.
    expect(header(out, VIEWER_AUTHORIZATION_HEADER)).toBe('Bearer from-viewer-request');
    expect(out.headers['x-runway-host']).toBeUndefined();
    // Read-only headers of origin-request events stay exactly as CloudFront sent them; repeated cookies too.
    expect(out.headers['content-length']).toEqual([{ key: 'Content-Length', value: '3' }]);
    expect(out.headers.cookie).toEqual([{ key: 'Cookie', value: 'a=1' }, { key: 'Cookie', value: 'b=2' }]);
    // The route's query merged over the visitor's, as locally (functionQuery), in SigV4's canonical order.
    expect(new URLSearchParams(out.querystring).getAll('slug')).toEqual(['hello']);
    expect(new URLSearchParams(out.querystring).get('page')).toBe('2');
    expect(out.querystring).toBe(`__pathname=%2Fforged&page=2&slug=hello`);
    expect(out.uri).toBe('/blog/hello');
    expect(header(out, 'x-amz-date')).toBe('20261206T213000Z');
    expect(header(out, 'authorization')).toBe(await expectedAuthorization(out, Buffer.from('a=1')));
  });

  test('the same request builds the same function headers here and in the local host (one shared module)', async () => {
    const out = (await toFunctionOrigin(visitor(), answerFor(), host, credentials, now, 'cf-req-1')) as CloudFrontRequest;
    const flat = Object.fromEntries(Object.entries(visitor().headers).map(([k, v]) => [k, v.map((h) => h.value).join(k === 'cookie' ? '; ' : ', ')]));
    const local = functionRequestHeaders(flat, answerFor(), { host: 'app.example.com', proto: 'https', clientIp: '203.0.113.1', vercelId: header(out, 'x-vercel-id')! });
    const carried = JSON.parse(decodeURIComponent(header(out, FORWARDED_HEADER)!)) as Record<string, string>;
    for (const name of ['x-matched-path', 'x-vercel-deployment-url', 'x-vercel-forwarded-for', 'x-vercel-id', 'x-forwarded-host', 'x-set', 'accept']) {
      expect(header(out, name), name).toBe(local[name]);
    }
    for (const name of CARRIED_HEADERS) expect(carried[name], name).toBe(local[name]);
    expect(functionQuery(visitor().querystring, answerFor().query)).toBe('page=2&__pathname=%2Fforged&slug=hello');
  });

  test('without viewer-request’s copy, an Authorization a cache policy passed still reaches the function; without either, none', async () => {
    const passed = (await toFunctionOrigin(
      cfRequest({ headers: { ...cfRequest().headers, authorization: [{ key: 'Authorization', value: 'Basic abc' }] } }),
      fnAnswer(),
      host,
      credentials,
      now,
    )) as CloudFrontRequest;
    expect(header(passed, VIEWER_AUTHORIZATION_HEADER)).toBe('Basic abc');
    const none = (await toFunctionOrigin(cfRequest(), fnAnswer(), host, credentials, now)) as CloudFrontRequest;
    expect(none.headers[VIEWER_AUTHORIZATION_HEADER]).toBeUndefined();
    expect(header(none, 'authorization')).toMatch(/^AWS4-HMAC-SHA256 /);
  });
});
