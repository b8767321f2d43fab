import type { CloudFrontRequest, CloudFrontResponseEvent, CloudFrontResultResponse } from 'aws-lambda';
import { describe, expect, test } from 'vitest';
import { compileBuildOutputConfig } from '../../../functions/src/core/routing/config.ts';
import { buildDeploymentIndex, deploymentIndexKey, type DeploymentIndex } from '../../../functions/src/core/routing/deployment-index.ts';
import { s3OriginOf } from '../../../functions/src/edge/origin-request-aws.ts';
import { ANSWER_HEADER, createOriginRequestHandler, NO_INDEX_RETRY_AFTER_SECONDS } from '../../../functions/src/edge/origin-request.ts';
import { createOriginResponseHandler } from '../../../functions/src/edge/origin-response.ts';
import { IndexCache, PLATFORM_NOT_FOUND_HTML } from '../../../functions/src/edge/serve.ts';

/** The Lambda@Edge pair: origin-request routes over the deployment index, origin-response dresses S3's answer. */

const sha = (c: string) => c.repeat(64);
const FILES = {
  'index.html': { sha: sha('a'), size: 10, contentType: 'text/html; charset=utf-8' },
  '404.html': { sha: sha('b'), size: 10, contentType: 'text/html; charset=utf-8' },
  'assets/index-B_x-9z.js': { sha: sha('c'), size: 10, contentType: 'text/javascript; charset=utf-8' },
  'docs/index.html': { sha: sha('d'), size: 10, contentType: 'text/html; charset=utf-8' },
};

function indexOf(id: string, runwayJson?: unknown): DeploymentIndex {
  const config = compileBuildOutputConfig({ runwayJson, files: Object.keys(FILES) });
  return buildDeploymentIndex({ deploymentId: id, teamId: 'team_1', manifest: { framework: 'vite', files: FILES }, config });
}

function setup(indexes: Record<string, DeploymentIndex>) {
  const reads: string[] = [];
  const cache = new IndexCache(async (key) => {
    reads.push(key);
    const found = Object.values(indexes).find((i) => deploymentIndexKey(i.deploymentId) === key);
    return found && JSON.stringify(found);
  });
  return { reads, handle: createOriginRequestHandler(cache) };
}

function req(uri: string, headers: Record<string, string> = {}, querystring = ''): CloudFrontRequest {
  return {
    clientIp: '203.0.113.1',
    method: 'GET',
    uri,
    querystring,
    headers: Object.fromEntries(Object.entries({ 'x-runway-host': 'app.example.com', ...headers }).map(([k, v]) => [k, [{ key: k, value: v }]])),
    origin: { s3: { authMethod: 'origin-access-identity', customHeaders: {}, domainName: 'runway-artifacts.s3.eu-west-1.amazonaws.com', path: '', region: 'eu-west-1' } },
  };
}

const isResponse = (r: CloudFrontRequest | CloudFrontResultResponse): r is CloudFrontResultResponse => 'status' in r;

describe('origin-request', () => {
  test('a file goes to its content-addressed blob; the answer travels in the request', async () => {
    const { handle } = setup({ a: indexOf('dpl_a') });
    const out = await handle(req('/d/dpl_a/docs/'));
    if (isResponse(out)) throw new Error(`expected a request, got ${out.status}`);
    expect(out.uri).toBe(`/blobs/team_1/${sha('d')}`);
    expect(out.querystring).toBe('');
    const stash = JSON.parse(decodeURIComponent(out.headers[ANSWER_HEADER]![0]!.value));
    expect(stash).toEqual({
      status: 200,
      headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'public, max-age=0, must-revalidate, s-maxage=31536000', 'x-content-type-options': 'nosniff' },
    });
  });

  test('a Vite asset is immutable for a year (by the framework\'s assets/ directory, not by the look of its name)', async () => {
    const { handle } = setup({ a: indexOf('dpl_a') });
    const out = await handle(req('/d/dpl_a/assets/index-B_x-9z.js'));
    if (isResponse(out)) throw new Error('expected a request');
    expect(JSON.parse(decodeURIComponent(out.headers[ANSWER_HEADER]![0]!.value)).headers['cache-control']).toBe('public, max-age=31536000, immutable');
  });

  test('a missing path serves the deployment\'s 404.html blob with status 404 and the header rules', async () => {
    const { handle } = setup({ a: indexOf('dpl_a', { headers: [{ source: '/(.*)', headers: [{ key: 'X-Frame-Options', value: 'DENY' }] }] }) });
    const out = await handle(req('/d/dpl_a/nope'));
    if (isResponse(out)) throw new Error('expected a request');
    expect(out.uri).toBe(`/blobs/team_1/${sha('b')}`);
    const stash = JSON.parse(decodeURIComponent(out.headers[ANSWER_HEADER]![0]!.value));
    expect([stash.status, stash.headers['x-frame-options'], stash.headers['cache-control']]).toEqual([404, 'DENY', 'public, max-age=0, must-revalidate']);
  });

  test('a redirect is generated at the edge with its Location', async () => {
    const { handle } = setup({ a: indexOf('dpl_a', { redirects: [{ source: '/old', destination: '/docs/', permanent: false }] }) });
    const out = await handle(req('/d/dpl_a/old'));
    if (!isResponse(out)) throw new Error('expected a response');
    expect([out.status, out.headers?.location?.[0]?.value]).toEqual(['307', '/docs/']);
  });

  test('a URI that names no deployment is the platform 404, never another deployment', async () => {
    const { handle } = setup({ a: indexOf('dpl_a') });
    for (const uri of ['/blobs/team_1/x', '/d/../d/dpl_a/']) {
      const out = await handle(req(uri));
      if (!isResponse(out)) throw new Error(`expected a response for ${uri}`);
      expect([out.status, out.body]).toEqual(['404', PLATFORM_NOT_FOUND_HTML]);
    }
  });

  test('a deployment without an index (finalized before indexes, not yet backfilled) is a 503 with Retry-After the CDN does not keep', async () => {
    const { handle } = setup({ a: indexOf('dpl_a') });
    const out = await handle(req('/d/dpl_zz/'));
    if (!isResponse(out)) throw new Error('expected a response');
    expect([out.status, out.headers?.['retry-after']?.[0]?.value, out.headers?.['cache-control']?.[0]?.value]).toEqual(['503', String(NO_INDEX_RETRY_AFTER_SECONDS), 'no-store']);
  });

  test('an index is read once and kept: many requests, one read', async () => {
    const { handle, reads } = setup({ a: indexOf('dpl_a') });
    await Promise.all(Array.from({ length: 20 }, () => handle(req('/d/dpl_a/'))));
    await handle(req('/d/dpl_a/docs/'));
    expect(reads).toEqual([deploymentIndexKey('dpl_a')]);
  });

  test('a deployment whose routes read headers or cookies is not kept at the CDN (its cache key has neither)', async () => {
    const vary = indexOf('dpl_v');
    vary.config.routes = [{ src: '^/$', has: [{ type: 'cookie', key: 'beta' }], dest: '/docs/index.html' }, { handle: 'filesystem' }] as never;
    vary.varies = true;
    const { handle } = setup({ v: vary });
    const out = await handle(req('/d/dpl_v/'));
    if (isResponse(out)) throw new Error('expected a request');
    expect(JSON.parse(decodeURIComponent(out.headers[ANSWER_HEADER]![0]!.value)).headers['cache-control']).toBe('public, max-age=0, must-revalidate');
  });
});

function responseEvent(request: CloudFrontRequest, status: string, headers: Record<string, string>): CloudFrontResponseEvent {
  return {
    Records: [{
      cf: {
        config: { distributionDomainName: 'd1.cloudfront.net', distributionId: 'E1', eventType: 'origin-response', requestId: 'r' },
        request,
        response: { status, statusDescription: '', headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [{ key: k, value: v }]])) },
      },
    }],
  };
}

describe('origin-response', () => {
  const stashed = (status: number, headers: Record<string, string>) => req('/blobs/team_1/x', { [ANSWER_HEADER]: encodeURIComponent(JSON.stringify({ status, headers })) });

  test('S3\'s 200 takes the router\'s status and headers; S3\'s x-amz-* go', async () => {
    const out = await createOriginResponseHandler()(responseEvent(stashed(404, { 'content-type': 'text/html', 'x-frame-options': 'DENY' }), '200', { 'content-type': 'application/octet-stream', etag: '"e"', 'x-amz-request-id': 'r' }));
    expect(out.status).toBe('404');
    expect(Object.fromEntries(Object.entries(out.headers!).map(([k, v]) => [k, v[0]!.value]))).toEqual({ 'content-type': 'text/html', etag: '"e"', 'x-frame-options': 'DENY' });
  });

  test.each(['206', '304'])('S3\'s %s stays', async (status) => {
    const out = await createOriginResponseHandler()(responseEvent(stashed(200, { 'content-type': 'text/css' }), status, {}));
    expect(out.status).toBe(status);
  });

  test.each(['403', '404'])('a missing blob (S3 %s) is a 502 the CDN does not keep', async (status) => {
    const out = await createOriginResponseHandler()(responseEvent(stashed(200, {}), status, {}));
    expect([out.status, out.headers?.['cache-control']?.[0]?.value]).toEqual(['502', 'no-store']);
  });

  test('a response without a stashed answer passes through', async () => {
    const event = responseEvent(req('/x'), '200', { 'x-amz-id-2': 'kept' });
    expect(await createOriginResponseHandler()(event)).toBe(event.Records[0]!.cf.response);
  });
});

describe('origin-request-aws', () => {
  test.each([
    ['runway-artifacts.s3.eu-west-1.amazonaws.com', { bucket: 'runway-artifacts', region: 'eu-west-1' }],
    ['my.dotted.bucket.s3.us-west-2.amazonaws.com', { bucket: 'my.dotted.bucket', region: 'us-west-2' }],
    ['legacy-bucket.s3.amazonaws.com', { bucket: 'legacy-bucket', region: 'us-east-1' }],
  ])('takes bucket and region from the S3 origin %s', (domainName, expected) => {
    expect(s3OriginOf({ origin: { s3: { authMethod: 'none', customHeaders: {}, domainName, path: '' } } })).toEqual(expected);
  });

  test('refuses an origin that is not S3', () => {
    expect(() => s3OriginOf({ origin: { s3: { authMethod: 'none', customHeaders: {}, domainName: 'example.com', path: '' } } })).toThrow(/not an S3 origin/);
  });
});
