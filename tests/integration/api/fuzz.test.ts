import http from 'node:http';
import net from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { HTTP_ROUTES } from '../../../functions/src/handlers/http/routes.ts';
import { useLocalGitHub, type LocalGitHub } from '../../../local/github.ts';
import { type Api, client, newTeam, startApi, type TestTeam, uniqueName } from './harness.ts';

/**
 * Invariant 4 by generation: whatever method, path, percent-escapes, headers, signature and body a
 * caller sends, the API answers below 500, and every 4xx has the `{"error":{"code","message"}}`
 * shape. Requests go out byte for byte (node:http, no URL normalization as fetch would do). The
 * tokens of two teams (owner, member, viewer each) take turns, so the per-token rate limit never
 * answers in place of a route; a 429 fails the property.
 */
let api: Api;
let github: LocalGitHub;
const teams: TestTeam[] = [];
const projects: string[] = [];
let port: number;

beforeAll(async () => {
  api = await startApi();
  port = Number(new URL(api.base).port);
  // The webhook verifies signatures with a configured secret, as after set-up.
  github = await useLocalGitHub({ envFile: '/nonexistent/.env.github' });
  for (let i = 0; i < 2; i++) {
    const team = await newTeam();
    teams.push(team);
    const { body } = await client(api, team.tokens.owner).post('/v1/projects', { name: uniqueName('fuzz') });
    projects.push(body.name, body.id);
  }
});
afterAll(async () => {
  await github?.close();
  await api?.close();
});

const hex = (length: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${length}}$`));

/** Percent-escapes of every kind: well-formed, truncated, non-hex, overlong UTF-8, encoded separators. */
const escape = fc.oneof(
  fc.constantFrom('%', '%f', '%ff', '%zz', '%G0', '%%', '%2F', '%2f', '%5C', '%00', '%2e%2e', '%C0%AE', '%E2%82', '%ED%A0%80', '%252F'),
  hex(2).map((h) => `%${h}`),
  fc.string({ unit: 'grapheme', maxLength: 6 }).map((s) => encodeURIComponent(s)),
);

/** Characters a request target may carry as they are (RFC 3986 pchar minus `%`). */
const plain = fc.stringMatching(/^[A-Za-z0-9._~!$&'()*+,;=:@-]{0,24}$/);

const segment = fc.oneof(
  plain,
  escape,
  fc.array(fc.oneof(plain, escape), { minLength: 1, maxLength: 4 }).map((parts) => parts.join('')),
  fc.constantFrom('..', '.', '', 'prj_x', 'dpl_x', 'team_x', 'tok_x', 'env_x'),
  fc.constant(undefined).map(() => 'x'.repeat(300)),
  // Real names and ids of the fuzz teams' projects, so deeper routes are reached.
  fc.integer({ min: 0, max: 3 }).map((i) => projects[i] ?? 'p'),
  fc.integer({ min: 0, max: 1 }).map((i) => teams[i]?.id ?? 'team_x'),
);

/** A route of the table with its parameters filled in, or a path no route has. */
const path = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...HTTP_ROUTES.map((r) => r.path)), fc.array(segment, { minLength: 4, maxLength: 4 })).map(([template, values]) => {
    let i = 0;
    return template.replace(/\{\w+\+?\}/g, () => values[i++ % values.length]!);
  }) },
  { weight: 1, arbitrary: fc.array(segment, { maxLength: 6 }).map((segments) => `/v1/${segments.join('/')}`) },
  { weight: 1, arbitrary: fc.array(segment, { maxLength: 4 }).map((segments) => `/${segments.join('/')}`) },
);

const query = fc.option(
  fc.array(fc.tuple(fc.constantFrom('limit', 'cursor', 'target', 'state', 'project', 'admin', 'x'), fc.oneof(plain, escape)), { maxLength: 3 })
    .map((pairs) => `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`),
  { nil: '' },
);

const method = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE') },
  { weight: 1, arbitrary: fc.constantFrom('HEAD', 'OPTIONS', 'PROPFIND', 'FOO') },
);

/** Header values: printable ASCII, as a header line can carry. */
const headerValue = fc.stringMatching(/^[\x20-\x7e]{0,80}$/);

const authorization = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 5 }).map((i) => `Bearer ${teams[i % 2]!.tokens[(['owner', 'member', 'viewer'] as const)[i % 3]!]}`) },
  { weight: 1, arbitrary: headerValue },
  { weight: 1, arbitrary: headerValue.map((v) => `Bearer ${v}`) },
  { weight: 1, arbitrary: fc.constantFrom('Bearer', 'Bearer ', 'Basic dXNlcjpwYXNz', 'Bearer rwy_', 'Bearer rwb_aaaaaaaaaaaaaaaaaaaaaaaaaaaaa') },
);

const contentType = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/octet-stream', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', '', 'application/jsonx');

const signature = fc.oneof(hex(64).map((h) => `sha256=${h}`), headerValue, fc.constantFrom('sha256=', 'sha1=abc', `sha256=${'0'.repeat(64)}`));

const headers = fc.record(
  {
    authorization,
    'content-type': contentType,
    'x-hub-signature-256': signature,
    'x-github-event': fc.oneof(fc.constantFrom('push', 'pull_request', 'installation', 'installation_repositories', 'ping'), headerValue),
    'x-github-delivery': fc.oneof(fc.uuid(), headerValue),
    'if-match': headerValue,
    'x-runway-digest': fc.oneof(hex(64).map((h) => `sha256=${h}`), headerValue),
  },
  { requiredKeys: [] },
);

const body = fc.oneof(
  fc.constant(undefined),
  fc.constant(''),
  fc.json({ maxDepth: 3 }),
  fc.string({ maxLength: 200 }),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
  fc.record({ name: fc.oneof(plain, fc.string()), key: plain, value: fc.string(), target: fc.array(fc.constantFrom('preview', 'production', 'x')), files: fc.array(fc.record({ file: plain, sha: hex(64), size: fc.nat() }), { maxLength: 3 }) }, { requiredKeys: [] }).map((o) => JSON.stringify(o)),
);

interface Answer {
  status: number;
  text: string;
}

/** One request exactly as given: no normalization of the target, any method and header values. */
function send(request: { method: string; target: string; headers: Record<string, string>; body: string | Buffer | undefined }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const length = request.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(request.body)) };
    const req = http.request({ host: '127.0.0.1', port, method: request.method, path: request.target, headers: { ...request.headers, ...length }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(request.body);
  });
}

/** Statuses the generated requests got: the property is only worth something if they reach the routes. */
const seen = new Set<number>();

function expectErrorShape(method: string, target: string, answer: Answer): void {
  seen.add(answer.status);
  const where = `${method} ${target} → ${answer.status} ${answer.text.slice(0, 200)}`;
  expect(answer.status, where).toBeLessThan(500);
  expect(answer.status, `${where} (rate limited: the property would not reach the route)`).not.toBe(429);
  if (answer.status < 400 || method === 'HEAD') return;
  let parsed: any;
  try {
    parsed = JSON.parse(answer.text);
  } catch {
    parsed = undefined;
  }
  expect(typeof parsed?.error?.code, where).toBe('string');
  expect(typeof parsed?.error?.message, where).toBe('string');
}

describe('fuzz: no request makes the API answer 5xx or an error without the error shape', () => {
  test('any method, path, percent-escape, query, headers and body', async () => {
    await fc.assert(
      fc.asyncProperty(method, path, query, headers, body, async (m, p, q, h, b) => {
        const target = `${p}${q}`;
        const answer = await send({ method: m, target, headers: h, body: m === 'GET' || m === 'HEAD' ? undefined : b });
        expectErrorShape(m, target, answer);
      }),
      { numRuns: 400 },
    );
    // Authenticated requests got through to handlers: successes, validation, not found and auth failures.
    for (const status of [200, 400, 401, 404]) expect(seen, `no ${status} among ${[...seen]}`).toContain(status);
  }, 240_000);

  test('webhook deliveries with any signature, event, delivery id and body (empty included)', async () => {
    await fc.assert(
      fc.asyncProperty(signature, headers, body, async (sig, h, b) => {
        const answer = await send({
          method: 'POST',
          target: '/webhooks/github',
          headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': crypto.randomUUID(), ...h, 'x-hub-signature-256': sig },
          body: b,
        });
        expectErrorShape('POST', '/webhooks/github', answer);
      }),
      { numRuns: 150 },
    );
  }, 120_000);

  test.each([
    ['a body without a length', 'DELETE /v1/health HTTP/1.1\r\nhost: x\r\n\r\n{}'],
    ['a malformed Content-Length', 'POST /v1/projects HTTP/1.1\r\nhost: x\r\ncontent-length: abc\r\n\r\n'],
    ['a request line that is not HTTP', 'HELLO\r\n\r\n'],
  ])('%s: what Node cannot parse still gets the error shape', async (_, raw) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.end(raw);
    const text = (await socket.toArray()).join('');
    const last = text.lastIndexOf('HTTP/1.1 ');
    expect(text.slice(last)).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n', last) + 4))).toMatchObject({ error: { code: 'bad_request', message: expect.any(String) } });
  });

  test.each([
    ['POST', '/webhooks/github', `sha256=${'a'.repeat(64)}`, ''],
    ['GET', '/v1/projects/%', undefined, undefined],
    ['GET', '/v1/deployments/%ff', undefined, undefined],
    ['DELETE', '/v1/projects/%E2%82', undefined, undefined],
    ['GET', '/v1/nope', undefined, undefined],
    ['PUT', '/v1/projects', undefined, undefined],
    ['GET', '/', undefined, undefined],
  ] as const)('%s %s (signature %s, body %j) → 4xx with the error shape', async (m, target, sig, b) => {
    const answer = await send({
      method: m,
      target,
      headers: { authorization: `Bearer ${teams[0]!.tokens.owner}`, 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': crypto.randomUUID(), ...(sig ? { 'x-hub-signature-256': sig } : {}) },
      body: b,
    });
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expectErrorShape(m, target, answer);
  });

  test.each([
    ['GET', '/v1/projects/%'],
    ['GET', '/v1/projects/%zz'],
    ['GET', '/v1/deployments/%ff'],
    ['DELETE', '/v1/projects/%E2%82'],
    ['POST', '/v1/projects/%zz/promote'],
    ['DELETE', '/v1/tokens/tok_%G0'],
  ] as const)('%s %s: a malformed percent-escape in a parameter is a 400 invalid_path_parameter (the route exists: not a 404)', async (m, target) => {
    const answer = await send({ method: m, target, headers: { authorization: `Bearer ${teams[0]!.tokens.owner}` }, body: undefined });
    expect([answer.status, JSON.parse(answer.text).error.code], answer.text).toEqual([400, 'invalid_path_parameter']);
  });
});
