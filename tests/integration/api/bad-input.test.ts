import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Api, client, newTeam, sha256, startApi, type TestTeam, teamBlobs, teamItems, uniqueName } from './harness.ts';

/**
 * Invariant 4: bad input gets a 4xx with the error shape and writes nothing. Each case runs against
 * a team whose items and blobs are compared before and after.
 */
let api: Api;
let team: TestTeam;
let project: { id: string; name: string };

beforeAll(async () => {
  api = await startApi();
  team = await newTeam();
  ({ body: project } = await client(api, team.tokens.owner).post('/v1/projects', { name: uniqueName('bad') }));
});
afterAll(() => api.close());

const sha = sha256('x');
const file = (path: string) => ({ file: path, sha, size: 1 });

interface Case {
  name: string;
  method: string;
  path: string | (() => string);
  body?: unknown;
  raw?: string;
  contentType?: string;
  status: number;
  code?: string;
}

const cases: Case[] = [
  { name: 'malformed JSON', method: 'POST', path: '/v1/projects', raw: '{"name":', status: 400, code: 'invalid_json' },
  { name: 'JSON that is not an object', method: 'POST', path: '/v1/projects', raw: '[1,2]', status: 400, code: 'validation_failed' },
  { name: 'a wrong type', method: 'POST', path: '/v1/projects', body: { name: 42 }, status: 400, code: 'validation_failed' },
  { name: 'an unknown field', method: 'POST', path: '/v1/projects', body: { name: 'fine-name', admin: true }, status: 400, code: 'validation_failed' },
  { name: 'a body over 1 MB', method: 'POST', path: '/v1/projects', body: { name: 'x'.repeat(1024 * 1024) }, status: 413, code: 'payload_too_large' },
  { name: 'a non-JSON content type', method: 'POST', path: '/v1/projects', raw: 'name=x', contentType: 'text/plain', status: 415, code: 'unsupported_media_type' },
  ...['UPPER', '-lead', 'trail-', 'a'.repeat(41), '../etc', 'a/b', 'a b', '', 'prj_x', 'café'].map((name) => ({
    name: `invalid project name ${JSON.stringify(name.length > 20 ? `${name.slice(0, 10)}…` : name)}`,
    method: 'POST',
    path: '/v1/projects',
    body: { name },
    status: 400,
    code: 'validation_failed',
  })),
  { name: 'rootDirectory escaping the source', method: 'POST', path: '/v1/projects', body: { name: 'rootdir', rootDirectory: '../x' }, status: 400 },
  { name: 'absolute outputDirectory', method: 'POST', path: '/v1/projects', body: { name: 'outdir', outputDirectory: '/etc' }, status: 400 },
  { name: 'an invalid git branch', method: 'POST', path: '/v1/projects', body: { name: 'branchy', productionBranch: 'a..b' }, status: 400 },
  { name: 'path traversal in a project path parameter', method: 'GET', path: '/v1/projects/..%2F..%2Fetc', status: 400 },
  { name: 'a backslash traversal in a project path parameter', method: 'DELETE', path: '/v1/projects/..%5C..%5Cx', status: 400 },
  { name: 'a malformed deployment id', method: 'POST', path: '/v1/deployments/dpl_..%2Fx/cancel', status: 400 },
  { name: 'a team id with a traversal', method: 'GET', path: '/v1/teams/..%2Fteam_x', status: 400 },
  { name: 'limit 0', method: 'GET', path: '/v1/deployments?limit=0', status: 400 },
  { name: 'limit over 100', method: 'GET', path: '/v1/projects?limit=101', status: 400 },
  { name: 'an unknown query parameter', method: 'GET', path: '/v1/projects?admin=1', status: 400 },
  { name: 'a garbage cursor', method: 'GET', path: '/v1/projects?cursor=%7B%7D', status: 400, code: 'invalid_cursor' },
  { name: 'an env key with a path', method: 'POST', path: () => `/v1/projects/${project.id}/env`, body: { key: '../KEY', value: 'v', target: ['preview'] }, status: 400 },
  { name: 'a reserved env key', method: 'POST', path: () => `/v1/projects/${project.id}/env`, body: { key: 'AWS_SECRET_ACCESS_KEY', value: 'v', target: ['preview'] }, status: 400 },
  { name: 'an env value over 4 KB', method: 'POST', path: () => `/v1/projects/${project.id}/env`, body: { key: 'BIG', value: 'x'.repeat(4097), target: ['preview'] }, status: 400 },
  { name: 'an unknown env target', method: 'POST', path: () => `/v1/projects/${project.id}/env`, body: { key: 'K', value: 'v', target: ['staging'] }, status: 400 },
  { name: 'a token role that does not exist', method: 'POST', path: '/v1/tokens', body: { name: 'x', role: 'admin' }, status: 400 },
  { name: 'a member that is no e-mail', method: 'POST', path: () => `/v1/teams/${team.id}/members`, body: { principal: '../root', role: 'member' }, status: 400 },
  ...[
    '../etc/passwd',
    'a/../../b',
    '/abs/path',
    'a\\b',
    'nul\u0000byte',
    'new\nline',
    'a//b',
    'a/./b',
    'dir/',
    '.',
    'x'.repeat(1025),
  ].map((path) => ({
    name: `deployment file path ${JSON.stringify(path.length > 20 ? `${path.slice(0, 10)}…` : path)}`,
    method: 'POST',
    path: '/v1/deployments',
    body: { project: 'PLACEHOLDER', files: [file(path)] },
    status: 400,
    code: 'validation_failed',
  })),
  { name: 'duplicate file paths', method: 'POST', path: '/v1/deployments', body: { project: 'PLACEHOLDER', files: [file('a'), file('a')] }, status: 400 },
  { name: 'no files', method: 'POST', path: '/v1/deployments', body: { project: 'PLACEHOLDER', files: [] }, status: 400 },
  { name: 'more than 20,000 files', method: 'POST', path: '/v1/deployments', body: { project: 'PLACEHOLDER', files: Array.from({ length: 20_001 }, (_, i) => file(`f${i}`)) }, status: 400 },
  { name: 'a sha that is not hex', method: 'POST', path: '/v1/deployments', body: { project: 'PLACEHOLDER', files: [{ file: 'a', sha: 'z'.repeat(64), size: 1 }] }, status: 400 },
  { name: 'a negative size', method: 'POST', path: '/v1/deployments', body: { project: 'PLACEHOLDER', files: [{ file: 'a', sha, size: -1 }] }, status: 400 },
  { name: 'an unknown target', method: 'POST', path: '/v1/deployments', body: { project: 'PLACEHOLDER', target: 'staging', files: [file('a')] }, status: 400 },
];

describe('bad input → 4xx with the error shape, nothing written', () => {
  test.each(cases)('$name', async (c) => {
    const before = JSON.stringify(await teamItems(team.id));
    const blobsBefore = await teamBlobs(team.id);
    const body = c.body && typeof c.body === 'object' && 'project' in c.body ? { ...c.body, project: project.id } : c.body;
    const res = await client(api, team.tokens.owner).request(c.method, typeof c.path === 'function' ? c.path() : c.path, {
      ...(c.raw !== undefined ? { raw: c.raw, headers: { 'content-type': c.contentType ?? 'application/json' } } : { body }),
    });
    expect(res.status).toBe(c.status);
    expect(res.body.error).toMatchObject({ code: c.code ?? expect.any(String), message: expect.any(String) });
    expect(JSON.stringify(await teamItems(team.id))).toBe(before);
    expect(await teamBlobs(team.id)).toEqual(blobsBefore);
  });
});
