import { describe, expect, test } from 'vitest';
import { z } from 'zod';
import { ConflictError, RateLimitedError } from '#core/errors';
import { httpHandler, route } from '#lib/http';
import { httpEvent, lambdaContext } from '../../support/events.ts';

const Body = z.strictObject({ name: z.string().min(1) });

const handler = httpHandler({
  'POST /v1/things': route({
    auth: 'public',
    body: Body,
    handler: async ({ body }) => ({ status: 201, body: { created: body.name } }),
  }),
  'GET /v1/things/{id}': route({
    auth: 'public',
    params: z.strictObject({ id: z.string().regex(/^thg_[a-z0-9]+$/) }),
    handler: async ({ params }) => {
      if (params.id === 'thg_taken') throw new ConflictError('name_taken', 'That name is taken');
      if (params.id === 'thg_slow') throw new RateLimitedError(7);
      if (params.id === 'thg_boom') throw new Error('secret internal detail: table arn:aws:dynamodb:xyz');
      return { body: { id: params.id } };
    },
  }),
  'GET /v1/private': route({ auth: 'token', handler: async () => ({ body: {} }) }),
});

const call = (event: ReturnType<typeof httpEvent>) => handler(event, lambdaContext) as Promise<{ statusCode: number; headers: Record<string, string>; body?: string }>;
const json = (body?: string) => JSON.parse(body ?? 'null');

describe('httpHandler', () => {
  test('validated JSON body reaches the route and its status is kept', async () => {
    const res = await call(httpEvent('POST /v1/things', { headers: { 'content-type': 'application/json' }, body: '{"name":"a"}' }));
    expect(res.statusCode).toBe(201);
    expect(json(res.body)).toEqual({ created: 'a' });
  });

  test('unknown body fields are rejected with the error shape', async () => {
    const res = await call(httpEvent('POST /v1/things', { headers: { 'content-type': 'application/json' }, body: '{"name":"a","admin":true}' }));
    expect(res.statusCode).toBe(400);
    expect(json(res.body).error.code).toBe('validation_failed');
    expect(json(res.body).error.issues[0].in).toBe('body');
  });

  test('malformed JSON is a 400 invalid_json', async () => {
    const res = await call(httpEvent('POST /v1/things', { headers: { 'content-type': 'application/json' }, body: '{"name":' }));
    expect(res.statusCode).toBe(400);
    expect(json(res.body).error.code).toBe('invalid_json');
  });

  test('a non-JSON content type is a 415', async () => {
    const res = await call(httpEvent('POST /v1/things', { headers: { 'content-type': 'text/plain' }, body: 'name=a' }));
    expect(res.statusCode).toBe(415);
    expect(json(res.body).error.code).toBe('unsupported_media_type');
  });

  test('bodies over 1 MB are a 413 before parsing', async () => {
    const body = JSON.stringify({ name: 'x'.repeat(1024 * 1024) });
    const res = await call(httpEvent('POST /v1/things', { headers: { 'content-type': 'application/json' }, body }));
    expect(res.statusCode).toBe(413);
    expect(json(res.body).error.code).toBe('payload_too_large');
  });

  test('base64 bodies are decoded', async () => {
    const body = Buffer.from('{"name":"b64"}').toString('base64');
    const res = await call(httpEvent('POST /v1/things', { headers: { 'content-type': 'application/json' }, body, isBase64Encoded: true }));
    expect(json(res.body)).toEqual({ created: 'b64' });
  });

  test('path parameters are validated', async () => {
    const res = await call(httpEvent('GET /v1/things/{id}', { pathParameters: { id: '../etc' } }));
    expect(res.statusCode).toBe(400);
    expect(json(res.body).error.issues[0].in).toBe('path');
  });

  test.each(['%', '%zz', '%f', '%E2%82', 'thg_%G0'])('a path parameter holding the malformed escape %s is a 400 invalid_path_parameter, whatever its schema', async (id) => {
    const res = await call(httpEvent('GET /v1/things/{id}', { pathParameters: { id } }));
    expect(res.statusCode).toBe(400);
    expect(json(res.body)).toEqual({ error: { code: 'invalid_path_parameter', message: 'The path parameter id holds a malformed percent-escape', parameter: 'id' } });
  });

  test('domain errors map to their status and code', async () => {
    const res = await call(httpEvent('GET /v1/things/{id}', { pathParameters: { id: 'thg_taken' } }));
    expect(res.statusCode).toBe(409);
    expect(json(res.body)).toEqual({ error: { code: 'name_taken', message: 'That name is taken' } });
  });

  test('rate limiting answers 429 with Retry-After', async () => {
    const res = await call(httpEvent('GET /v1/things/{id}', { pathParameters: { id: 'thg_slow' } }));
    expect(res.statusCode).toBe(429);
    expect(res.headers['Retry-After']).toBe('7');
  });

  test('unexpected errors are a 500 that reveals nothing internal', async () => {
    const res = await call(httpEvent('GET /v1/things/{id}', { pathParameters: { id: 'thg_boom' } }));
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('arn:aws');
    expect(json(res.body).error.code).toBe('internal_error');
  });

  test('every response carries the correlation id', async () => {
    const res = await call(httpEvent('GET /v1/things/{id}', { pathParameters: { id: 'thg_boom' } }));
    expect(res.headers['x-correlation-id']).toBe('req-test-1');
    const ok = await call(httpEvent('GET /v1/things/{id}', { pathParameters: { id: 'thg_ok1' } }));
    expect(ok.headers['x-correlation-id']).toBe('req-test-1');
  });

  test('a token route in a module without an authenticator fails closed', async () => {
    const res = await call(httpEvent('GET /v1/private'));
    expect(res.statusCode).toBe(500);
  });
});
