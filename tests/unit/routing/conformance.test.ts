import { describe, expect, test } from 'vitest';
import { compileBuildOutputConfig, parseBuildOutputConfig } from '../../../functions/src/core/routing/config.ts';
import { prepareRoutes, route, type RouteResult } from '../../../functions/src/core/routing/router.ts';
import { fieldCases, functionCases, matrixCases, sharedCases, type RoutingCase, type RoutingCaseExpected } from '../../support/routing-cases.ts';

/** The config a case deploys: its own config.json, or its vercel.json / runway.json compiled. */
function configOf(c: RoutingCase) {
  if (c.config !== undefined) return parseBuildOutputConfig(c.config);
  return compileBuildOutputConfig({ vercelJson: c.vercelJson, runwayJson: c.runwayJson, files: Object.keys(c.files) });
}

/** The router's answer in the cases' terms (what an HTTP client would see). */
function observed(result: RouteResult, expected: RoutingCaseExpected): RoutingCaseExpected {
  const headers = Object.fromEntries(Object.keys(expected.headers ?? {}).map((k) => [k, result.headers[k] ?? '(absent)']));
  const out: RoutingCaseExpected = { status: result.kind === 'external' || result.kind === 'function' ? 200 : result.status };
  if (result.kind === 'redirect') out.location = result.location;
  if (result.kind === 'file') out.file = result.path;
  if (result.kind === 'error' && result.file !== undefined) out.file = result.file;
  if (result.kind === 'file' && result.contentType) out.contentType = result.contentType;
  if (result.kind === 'external') out.external = result.url;
  if (result.kind === 'function') {
    out.function = { name: result.name, path: result.path, query: result.query };
    if (expected.function?.matchedPath !== undefined) out.function.matchedPath = result.matchedPath;
    if (expected.function?.requestTransforms !== undefined) out.function.requestTransforms = result.requestTransforms;
    if (result.status !== undefined) out.status = result.status;
  }
  if (expected.headers) out.headers = headers;
  return out;
}

function run(c: RoutingCase): RouteResult {
  const fileSet = new Set(Object.keys(c.files));
  const functions = new Map(Object.entries(c.functions ?? {}));
  const files = { has: (p: string) => fileSet.has(p), fn: (p: string) => functions.get(p) };
  const { method = 'GET', path, query = '', host = 'example.com', headers = {} } = c.request;
  return route(prepareRoutes(configOf(c)), files, { method, path, query, host, headers });
}

describe.each([
  ['shared/cases/routing', sharedCases],
  ['cleanUrls × trailingSlash', matrixCases],
  ['route fields', fieldCases],
  ['functions', functionCases],
] as const)('%s', (_, cases) => {
  test.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expect(observed(run(c), c.expected)).toEqual(c.expected);
  });
});

test('the matrix covers every cleanUrls × trailingSlash combination and path', () => {
  expect(matrixCases).toHaveLength(2 * 3 * 6);
  expect(new Set(matrixCases.map((c) => c.name)).size).toBe(36);
});
