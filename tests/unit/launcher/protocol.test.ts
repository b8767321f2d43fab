import { PassThrough, Readable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { decodePrelude, encodePrelude, eventFromRequest, requestOfEvent } from '../../../functions/src/launcher/protocol.ts';

describe('Function URL protocol', () => {
  test('an HTTP request becomes a payload 2.0 event and back', () => {
    const body = Buffer.from('{"a":1}');
    const event = eventFromRequest({
      method: 'POST',
      url: '/api/x?a=1&a=2&b=3',
      headers: { host: 'app.localhost:4001', cookie: 'a=1; b=2', 'content-type': 'application/json', connection: 'keep-alive' },
      body,
      requestId: 'r1',
    });
    expect(event).toMatchObject({ version: '2.0', rawPath: '/api/x', rawQueryString: 'a=1&a=2&b=3', cookies: ['a=1', 'b=2'], queryStringParameters: { a: '1,2', b: '3' }, isBase64Encoded: true });
    expect(event.headers).toEqual({ host: 'app.localhost:4001', 'content-type': 'application/json' });
    expect(event.requestContext.time).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    const back = requestOfEvent(event);
    expect(back.url.href).toBe('https://app.localhost:4001/api/x?a=1&a=2&b=3');
    expect(back.headers.cookie).toBe('a=1; b=2');
    expect(back.body.equals(body)).toBe(true);
  });

  test("the function's URL has the visitor's origin: x-forwarded-proto and x-forwarded-host win over the Function URL's host", () => {
    const event = (headers: Record<string, string>) => eventFromRequest({ method: 'GET', url: '/a?b=1', headers, body: Buffer.alloc(0), requestId: 'r' });
    // Behind CloudFront: host is the Function URL, the viewer's host comes forwarded.
    expect(requestOfEvent(event({ host: 'abc.lambda-url.us-east-1.on.aws', 'x-forwarded-host': 'app.example.com', 'x-forwarded-proto': 'https' })).url.href).toBe('https://app.example.com/a?b=1');
    // The local edge is plain http: a form's Origin (http://…) must match the URL a framework checks it against.
    expect(requestOfEvent(event({ host: 'app.localhost:4001', 'x-forwarded-proto': 'http' })).url.origin).toBe('http://app.localhost:4001');
    // A chain of proxies: the first (the visitor's) value; anything but http/https is not a scheme.
    expect(requestOfEvent(event({ host: 'h', 'x-forwarded-proto': 'http, https', 'x-forwarded-host': 'v.example, p.example' })).url.origin).toBe('http://v.example');
    expect(requestOfEvent(event({ host: 'h', 'x-forwarded-proto': 'javascript' })).url.origin).toBe('https://h');
  });

  test('the streamed-response prelude round-trips, even split across chunks', async () => {
    const wire = Buffer.concat([encodePrelude({ statusCode: 201, headers: { a: 'b' }, cookies: ['c=d'] }), Buffer.from('hello')]);
    const stream = new PassThrough();
    for (let i = 0; i < wire.length; i += 3) stream.write(wire.subarray(i, i + 3));
    stream.end();
    const response = await decodePrelude(stream);
    expect(response).toMatchObject({ statusCode: 201, headers: { a: 'b' }, cookies: ['c=d'] });
    let body = '';
    for await (const chunk of response.body) body += chunk;
    expect(body).toBe('hello');
  });

  test('a stream that ends before its prelude is an error', async () => {
    await expect(decodePrelude(Readable.from([Buffer.from('{"statusCode":200}')]))).rejects.toThrow('ended before its metadata');
  });
});
