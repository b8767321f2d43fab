import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { HTTP_ROUTES } from '../../../functions/src/handlers/http/routes.ts';
import { type Api, client, startApi, uniqueName } from './harness.ts';

const repo = path.resolve(import.meta.dirname, '../../..');
let api: Api;
beforeAll(async () => {
  api = await startApi();
});
afterAll(() => api.close());

function admin(args: string[], env: Record<string, string | undefined>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(path.join(repo, 'node_modules/.bin/tsx'), ['local/admin.ts', ...args], { cwd: repo, env: env as NodeJS.ProcessEnv });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm run admin -- create-token', () => {
  test('with RUNWAY_* set: creates the team and prints a working owner token once', async () => {
    const team = uniqueName('acme');
    const run = await admin(['create-token', '--team', team], process.env);
    expect(run.code).toBe(0);
    const secrets = run.stdout.match(/rwy_[A-Za-z0-9_-]{43}/g) ?? [];
    expect(secrets).toHaveLength(1);
    const res = await client(api, secrets[0]).get('/v1/teams');
    expect(res.body.items[0].name).toBe(team);
  }, 30_000);

  test('with no RUNWAY_* env: finds the state stack in the emulator at AWS_ENDPOINT_URL', async () => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RUNWAY_')));
    const run = await admin(['create-token', '--team', uniqueName('emu'), '--role', 'viewer', '--json'], env);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.token.role).toBe('viewer');
    const res = await client(api, out.secret).post('/v1/projects', { name: uniqueName('p') });
    expect(res.status).toBe(403);
  }, 30_000);

  test('refuses a team name that is no DNS label', async () => {
    const run = await admin(['create-token', '--team', 'Not A Name'], process.env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('--team must be a team name');
  }, 30_000);
});

describe('GET /v1/openapi.json', () => {
  test('is public and documents every route of the route table', async () => {
    const res = await client(api).get('/v1/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    for (const r of HTTP_ROUTES) expect(res.body.paths[r.path]?.[r.method.toLowerCase()], `${r.method} ${r.path}`).toBeDefined();
  });
});
