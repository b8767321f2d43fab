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
