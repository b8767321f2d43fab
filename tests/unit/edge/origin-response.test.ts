import type { CloudFrontResponseEvent, CloudFrontResultResponse } from 'aws-lambda';
import { describe, expect, test, vi } from 'vitest';
import { s3OriginOf } from '../../../functions/src/edge/origin-response-aws.ts';
import {
  PLATFORM_NOT_FOUND_HTML,
  createOriginResponseHandler,
  type ReadObject,
} from '../../../functions/src/edge/origin-response.ts';

function originResponse(uri: string, status: string, domainName = 'runway-artifacts.s3.eu-west-1.amazonaws.com') {
  return {
    Records: [
      {
        cf: {
          config: {
            distributionDomainName: 'd111111abcdef8.cloudfront.net',
            distributionId: 'EDFDVBD6EXAMPLE',
            eventType: 'origin-response',
            requestId: 'req-1',
          },
          request: {
            clientIp: '203.0.113.1',
            method: 'GET',
            uri,
            querystring: '',
            headers: {},
            origin: { s3: { authMethod: 'none', customHeaders: {}, domainName, path: '' } },
          },
          response: { status, statusDescription: status === '200' ? 'OK' : 'Forbidden', headers: {} },
        },
      },
    ],
  } satisfies CloudFrontResponseEvent;
}

const PAGE = Buffer.from('<h1>Our own 404</h1>');
const store = (objects: Record<string, Buffer>): ReadObject => async (key) =>
  objects[key] ? { body: objects[key], contentType: 'text/html' } : null;

async function run(readObject: ReadObject, uri: string, status: string): Promise<CloudFrontResultResponse> {
  const result = await createOriginResponseHandler(readObject)(originResponse(uri, status));
  if (!result) throw new Error('no response');
  return result;
}

const bodyOf = (r: CloudFrontResultResponse) => Buffer.from(r.body ?? '', r.bodyEncoding === 'base64' ? 'base64' : 'utf8').toString();

describe('origin-response', () => {
  test("serves the deployment's 404.html when S3 answers 404", async () => {
    const result = await run(store({ 'd/dpl_a/404.html': PAGE }), '/d/dpl_a/missing/index.html', '404');
    expect([result.status, bodyOf(result)]).toEqual(['404', '<h1>Our own 404</h1>']);
  });

  test('treats 403 (missing key without ListBucket) like 404', async () => {
    const result = await run(store({ 'd/dpl_a/404.html': PAGE }), '/d/dpl_a/missing.css', '403');
    expect([result.status, bodyOf(result)]).toEqual(['404', '<h1>Our own 404</h1>']);
  });

  test('answers with content-type text/html', async () => {
    const result = await run(store({ 'd/dpl_a/404.html': PAGE }), '/d/dpl_a/x', '404');
    expect(result.headers?.['content-type']?.[0]?.value).toMatch(/^text\/html/);
  });

  test("reads 404.html from the requested deployment's prefix only", async () => {
    const readObject = vi.fn<ReadObject>(async () => null);
    await run(readObject, '/d/dpl_b/x/y.html', '404');
    expect(readObject.mock.calls).toEqual([['d/dpl_b/404.html']]);
  });

  test('serves the platform 404 page when the deployment has no 404.html', async () => {
    const result = await run(store({ 'd/dpl_other/404.html': PAGE }), '/d/dpl_a/x', '404');
    expect([result.status, bodyOf(result)]).toEqual(['404', PLATFORM_NOT_FOUND_HTML]);
  });

  test('serves the platform 404 page, uncacheable, when reading 404.html fails', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const result = await run(async () => Promise.reject(new Error('S3 timeout')), '/d/dpl_a/x', '404');
    expect([result.status, result.headers?.['cache-control']?.[0]?.value]).toEqual(['404', 'no-store']);
  });

  test('passes a successful response through untouched', async () => {
    const event = originResponse('/d/dpl_a/index.html', '200');
    const result = await createOriginResponseHandler(store({}))(event);
    expect(result).toBe(event.Records[0]!.cf.response);
  });

  test('leaves errors for keys outside /d/<id>/ alone', async () => {
    const readObject = vi.fn<ReadObject>(async () => null);
    const result = await run(readObject, '/other/x', '404');
    expect([result.status, readObject.mock.calls.length]).toEqual(['404', 0]);
  });
});

describe('origin-response AWS wiring', () => {
  test.each([
    ['runway-artifacts.s3.eu-west-1.amazonaws.com', { bucket: 'runway-artifacts', region: 'eu-west-1' }],
    ['my.dotted.bucket.s3.us-west-2.amazonaws.com', { bucket: 'my.dotted.bucket', region: 'us-west-2' }],
    ['legacy-bucket.s3.amazonaws.com', { bucket: 'legacy-bucket', region: 'us-east-1' }],
  ])('takes bucket and region from the S3 origin %s', (domainName, expected) => {
    expect(s3OriginOf(originResponse('/d/x/y', '404', domainName).Records[0]!.cf.request)).toEqual(expected);
  });

  test('refuses an origin that is not S3', () => {
    expect(() => s3OriginOf(originResponse('/d/x/y', '404', 'example.com').Records[0]!.cf.request)).toThrow(/not an S3 origin/);
  });
});
