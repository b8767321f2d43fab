import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { sharedCases, type RoutingCase } from '../../support/routing-cases.ts';
import { newTeam, uniqueName, type Client } from '../api/harness.ts';
import { deployFiles, startPlatform, visit, waitForEnd, type Platform } from '../builds/platform.ts';
import { request } from './helpers.ts';

/**
 * The shared cases as a user meets them: each folder of /work/shared/cases/routing (copied to
 * tests/fixtures/routing) deployed through the upload API — files and vercel.json as uploaded,
 * built by the builder, finalized — then requested through the local edge with Vercel's expected
 * answers (tests/support/routing-cases.ts). And cases/builds/symlinked-dir, whose build links
 * `dist/latest -> v2`: both URLs serve "v2 docs".
 */

const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures/routing');
const SHARED = path.resolve(import.meta.dirname, '../../fixtures/builds/symlinked-dir');

let platform: Platform;
let c: Client;
beforeAll(async () => {
  platform = await startPlatform();
  c = platform.client((await newTeam()).tokens.owner);
});
afterAll(() => platform?.close());

/** Every file of a folder, path → bytes, as a CLI upload sends them. */
function folderFiles(root: string): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else out[path.relative(root, full).split(path.sep).join('/')] = readFileSync(full);
    }
  };
  walk(root);
  return out;
}

async function deployFolder(files: Record<string, Buffer | string>): Promise<string> {
  const name = uniqueName('case');
  expect((await c.post('/v1/projects', { name })).status).toBe(201);
  const { deployment } = await deployFiles(c, name, files);
  const done = await waitForEnd(c, deployment.id);
  expect(done, JSON.stringify(done.errorMessage)).toMatchObject({ state: 'READY' });
  return done.url as string;
}

const folders = [...new Set(sharedCases.map((c) => c.name.split(':')[0]!))];

describe.each(folders)('cases/routing/%s deployed through the upload API', (folder) => {
  let host: string;
  beforeAll(async () => {
    host = await deployFolder(folderFiles(path.join(FIXTURES, folder)));
  }, 120_000);

  test.each(sharedCases.filter((c) => c.name.startsWith(`${folder}:`)).map((c) => [c.name, c] as const))('%s', async (_name, rc: RoutingCase) => {
    const query = rc.request.query ? `?${rc.request.query}` : '';
    // Sent byte for byte ("/assets/../x" must reach the edge as such, not normalized by a URL parser).
    const r = await request(Number(new URL(platform.edge).port), host, `${rc.request.path}${query}`, { headers: rc.request.headers ?? {} });
    const e = rc.expected;
    expect(r.status).toBe(e.status);
    if (e.location !== undefined) expect(r.headers.location).toBe(e.location);
    if (e.file !== undefined) expect(r.body.equals(readFileSync(path.join(FIXTURES, folder, e.file)))).toBe(true);
    for (const [name, value] of Object.entries(e.headers ?? {})) expect(r.headers[name], name).toBe(value);
  });
});

describe('cases/builds/symlinked-dir: a symlinked directory keeps every URL', () => {
  test('its build links dist/latest -> v2; /v2/ and /latest/ both serve "v2 docs"', async () => {
    const host = await deployFolder(folderFiles(SHARED));
    for (const url of ['/v2/', '/latest/']) {
      const r = await visit(platform.edge, host, url);
      expect([url, r.status, r.body.toString().trim()]).toEqual([url, 200, '<p>v2 docs</p>']);
    }
    expect((await visit(platform.edge, host, '/')).body.toString().trim()).toBe('<p>index</p>');
  }, 120_000);
});
