import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createEdgeServer } from '../../../local/edge.ts';
import { fieldCases, matrixCases, sharedCases, type RoutingCase, type RoutingCaseExpected } from '../../support/routing-cases.ts';
import { deploymentId, hostname, listen, request, seeder, type EdgeResponse } from './helpers.ts';

/**
 * The routing conformance cases (tests/support/routing-cases.ts, the same the router passes alone
 * in tests/unit/routing/conformance.test.ts) through the local edge over HTTP: each case deployed
 * as finalize leaves a deployment (blobs + index), its host in the edge store, the request sent
 * with its method, query, host and headers; the response's status, Location, headers and body
 * bytes checked against Vercel's answer.
 *
 * Two answers differ from the router's by what the edge is, and are asserted as such:
 * - the distribution allows GET and HEAD only (CloudFront refuses other methods before any function
 *   runs), so a POST case gets 403;
 * - external rewrites (proxying to another origin) are not served yet: 502, never another file.
 */

const seed = seeder();
let edge: { port: number; close: () => Promise<void> };

beforeAll(async () => {
  edge = await listen(createEdgeServer({ kvsCacheMs: 0 }));
});
afterAll(async () => {
  await edge?.close();
  await seed.cleanup();
});

async function deployAndRequest(c: RoutingCase): Promise<EdgeResponse> {
  const id = deploymentId();
  await seed.deployment(
    id,
    Object.fromEntries(Object.entries(c.files).map(([path, body]) => [path, { body }])),
    c.config !== undefined ? { buildOutput: c.config } : { vercelJson: c.vercelJson, runwayJson: c.runwayJson },
  );
  // The case's own host when its routes look at the host, else one of this run.
  const host = c.request.host ?? hostname('case');
  await seed.point(host.replace(/:\d+$/, ''), id);
  const query = c.request.query ? `?${c.request.query}` : '';
  return request(edge.port, host, `${c.request.path}${query}`, { method: c.request.method ?? 'GET', headers: c.request.headers ?? {} });
}

function observed(r: EdgeResponse, c: RoutingCase): RoutingCaseExpected {
  const e = c.expected;
  const out: RoutingCaseExpected = { status: r.status };
  if (e.location !== undefined) out.location = r.headers.location as string;
  if (e.file !== undefined) {
    // The body must be the file's exact bytes; name the file that matched, if any.
    const body = r.body.toString('utf8');
    out.file = Object.entries(c.files).find(([path, content]) => content === body && path === e.file)?.[0] ?? `(body: ${body.slice(0, 60)})`;
  }
  if (e.contentType !== undefined) out.contentType = r.headers['content-type'] as string;
  if (e.external !== undefined) out.external = e.external;
  if (e.headers) out.headers = Object.fromEntries(Object.keys(e.headers).map((k) => [k, (r.headers[k] as string | undefined) ?? '(absent)']));
  return out;
}

const methodOf = (c: RoutingCase) => (c.request.method ?? 'GET').toUpperCase();
// Every method: generated answers pass for any method (a file answers GET/HEAD only, and no case
// serves a file to another method).
const served = (c: RoutingCase) => c.expected.external === undefined;
const all = [...sharedCases, ...matrixCases, ...fieldCases];

describe.each([
  ['shared/cases/routing', sharedCases.filter(served)],
  ['cleanUrls × trailingSlash', matrixCases.filter(served)],
  ['route fields', fieldCases.filter(served)],
] as const)('through the local edge: %s', (_, cases) => {
  test.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    expect(observed(await deployAndRequest(c), c)).toEqual(c.expected);
  });
});

describe('cases the edge answers differently, by what it is', () => {
  const external = all.filter((c) => c.expected.external !== undefined && ['GET', 'HEAD'].includes(methodOf(c)));

  test('there are such cases (else this block tests nothing)', () => {
    expect(external.length > 0).toBe(true);
  });
  test.each(external.map((c) => [c.name, c] as const))('%s → 502: external rewrites are not proxied yet', async (_name, c) => {
    const r = await deployAndRequest(c);
    expect([r.status, r.body.toString('utf8')]).toEqual([502, expect.stringContaining('external URL')]);
  });
});

test('every case is run', () => {
  expect(all.length).toBeGreaterThan(60);
});
