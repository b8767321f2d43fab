import type { CloudFrontResultResponse } from 'aws-lambda';
import { describe, expect, test } from 'vitest';
import { parseFunctionConfig } from '../../../functions/src/core/functions/config.ts';
import { buildDeploymentIndex, deploymentIndexKey } from '../../../functions/src/core/routing/deployment-index.ts';
import { parseBuildOutputConfig } from '../../../functions/src/core/routing/schema.ts';
import { createOriginRequestHandler } from '../../../functions/src/edge/origin-request.ts';
import { answer, IndexCache, loadDeployment, parseIndex } from '../../../functions/src/edge/serve.ts';

/** The edge's answer for a function: the contract's `{kind: 'function', ...}` EdgeAnswer, built from the index. */

const sha = (c: string) => c.repeat(64);
const config = (over: Record<string, unknown> = {}) =>
  parseFunctionConfig('x', { runtime: 'nodejs22.x', handler: 'index.mjs', launcherType: 'Nodejs', supportsResponseStreaming: true, maxDuration: 10, ...over }).config;

function deployment() {
  const index = buildDeploymentIndex({
    deploymentId: 'dpl_fn',
    teamId: 'team_1',
    manifest: { framework: 'build-script', files: { 'index.html': { sha: sha('a'), size: 4, contentType: 'text/html; charset=utf-8' } } },
    config: parseBuildOutputConfig({
      version: 3,
      routes: [
        { src: '^/api/(.*)$', headers: { 'X-Api': 'yes' }, continue: true },
        { handle: 'filesystem' },
        { src: '^/api/users/([^/]+?)/?$', dest: '/api/users/[id]?id=$1', check: true },
      ],
    }),
    functions: [
      { name: 'api/hello', sha: sha('f'), paths: ['api/hello', 'api/hi'], config: config() },
      { name: 'api/users/[id]', sha: sha('e'), paths: ['api/users/[id]'], config: config({ supportsResponseStreaming: false, maxDuration: undefined }) },
    ],
  });
  // As the edge reads it: through JSON.
  return loadDeployment(parseIndex(JSON.stringify(index), 'dpl_fn'));
}

const request = (path: string, query = '') => ({ method: 'GET', path, query, host: 'app.example.com', headers: {} });

describe('answer() for functions', () => {
  test('a function path answers the function with its index entry, the path asked for and route headers', () => {
    expect(answer(deployment(), request('/api/hi', 'a=1'))).toEqual({
      kind: 'function',
      name: 'api/hello',
      fn: { sha: sha('f'), paths: ['api/hello', 'api/hi'], runtime: 'nodejs22.x', supportsResponseStreaming: true, maxDurationSeconds: 10 },
      path: '/api/hi',
      matchedPath: '/api/hi',
      query: 'a=1',
      headers: { 'x-api': 'yes' },
    });
  });

  test('a dynamic route lands on its function with the parameter in the query', () => {
    expect(answer(deployment(), request('/api/users/42'))).toMatchObject({ kind: 'function', name: 'api/users/[id]', path: '/api/users/42', query: 'id=42', fn: { maxDurationSeconds: 15 } });
  });

  test('files are still files, and a path naming nothing is the 404', () => {
    expect(answer(deployment(), request('/'))).toMatchObject({ kind: 'object', key: `blobs/team_1/${sha('a')}` });
    expect(answer(deployment(), request('/api/nothing/here'))).toMatchObject({ kind: 'generated', status: 404 });
  });

  test('the Lambda@Edge origin-request answers a function 502 until the origin switch exists (never a file)', async () => {
    const index = deployment().index;
    const handle = createOriginRequestHandler(new IndexCache(async (key) => (key === deploymentIndexKey('dpl_fn') ? JSON.stringify(index) : undefined)));
    const out = (await handle({
      clientIp: '203.0.113.1',
      method: 'GET',
      uri: '/d/dpl_fn/api/hello',
      querystring: '',
      headers: { 'x-runway-host': [{ key: 'x-runway-host', value: 'app.example.com' }] },
    })) as CloudFrontResultResponse;
    expect([out.status, out.body]).toEqual(['502', expect.stringContaining('function api/hello')]);
  });
});
