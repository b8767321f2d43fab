import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Env } from '../../../functions/src/core/env/index.ts';
import { type Api, client, startApi, teamWithProject, teamItems } from './harness.ts';

let api: Api;
beforeAll(async () => {
  api = await startApi();
});
afterAll(() => api.close());

const setup = () => teamWithProject(api, 'env');

describe('env vars', () => {
  test('a plain value is stored encrypted and returned decrypted to members', async () => {
    const { team, c, project } = await setup();
    const created = await c.post(`/v1/projects/${project.id}/env`, { key: 'API_URL', value: 'https://api.example.com', target: ['production', 'preview'] });
    expect(created.status).toBe(201);
    expect(created.body.items).toMatchObject([
      { key: 'API_URL', target: 'production', value: 'https://api.example.com', sensitive: false, masked: false },
      { key: 'API_URL', target: 'preview', value: 'https://api.example.com', masked: false },
    ]);
    const stored = (await teamItems(team.id)).filter((i) => i.key === 'API_URL');
    expect(stored).toHaveLength(2);
    for (const item of stored) expect(JSON.stringify(item)).not.toContain('api.example.com');
    const listed = await c.get(`/v1/projects/${project.name}/env`);
    expect(listed.body.items.map((e: { value?: string }) => e.value)).toEqual(['https://api.example.com', 'https://api.example.com']);
  });

  test('viewers see plain values masked', async () => {
    const { team, c, project } = await setup();
    await c.post(`/v1/projects/${project.id}/env`, { key: 'PUBLIC_FLAG', value: 'on', target: ['preview'] });
    const listed = await client(api, team.tokens.viewer).get(`/v1/projects/${project.id}/env`);
    expect(listed.status).toBe(200);
    expect(listed.body.items).toMatchObject([{ key: 'PUBLIC_FLAG', masked: true }]);
    expect(listed.body.items[0].value).toBeUndefined();
  });

  test('a sensitive value is never returned, not even in the create response', async () => {
    const { c, project } = await setup();
    const created = await c.post(`/v1/projects/${project.id}/env`, { key: 'DB_PASSWORD', value: 'hunter2-secret', target: ['production'], sensitive: true });
    expect(created.body.items).toMatchObject([{ key: 'DB_PASSWORD', sensitive: true, masked: true }]);
    expect(created.text).not.toContain('hunter2-secret');
    expect((await c.get(`/v1/projects/${project.id}/env`)).text).not.toContain('hunter2-secret');
  });

  test('the same key and target twice is a 409 env_exists, and the transaction writes nothing', async () => {
    const { team, c, project } = await setup();
    await c.post(`/v1/projects/${project.id}/env`, { key: 'TOKEN', value: 'a', target: ['preview'] });
    const before = (await teamItems(team.id)).length;
    const res = await c.post(`/v1/projects/${project.id}/env`, { key: 'TOKEN', value: 'b', target: ['development', 'preview'] });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'env_exists', targets: ['preview'] });
    expect((await teamItems(team.id)).length).toBe(before);
  });

  test('PATCH changes the value, or makes it sensitive for good', async () => {
    const { c, project } = await setup();
    const { body } = await c.post(`/v1/projects/${project.id}/env`, { key: 'MODE', value: 'one', target: ['development'] });
    const id = body.items[0].id;
    const changed = await c.patch(`/v1/projects/${project.id}/env/${id}`, { value: 'two' });
    expect(changed.body).toMatchObject({ value: 'two', version: 2 });
    const hidden = await c.patch(`/v1/projects/${project.id}/env/${id}`, { sensitive: true });
    expect(hidden.body).toMatchObject({ sensitive: true, masked: true });
    expect(hidden.body.value).toBeUndefined();
    const back = await c.patch(`/v1/projects/${project.id}/env/${id}`, { sensitive: false });
    expect(back.status).toBe(400);
  });

  test('DELETE removes a var', async () => {
    const { c, project } = await setup();
    const { body } = await c.post(`/v1/projects/${project.id}/env`, { key: 'OLD', value: 'x', target: ['preview'] });
    expect((await c.del(`/v1/projects/${project.id}/env/${body.items[0].id}`)).status).toBe(204);
    expect((await c.get(`/v1/projects/${project.id}/env`)).body.items).toEqual([]);
    expect((await c.del(`/v1/projects/${project.id}/env/${body.items[0].id}`)).status).toBe(404);
  });

  test('Env.resolveForBuild gives the build every value of its target, and names the sensitive keys', async () => {
    const { c, project } = await setup();
    await c.post(`/v1/projects/${project.id}/env`, { key: 'PLAIN', value: 'p', target: ['production', 'preview'] });
    await c.post(`/v1/projects/${project.id}/env`, { key: 'SECRET', value: 's3cr3t', target: ['production'], sensitive: true });
    await c.post(`/v1/projects/${project.id}/env`, { key: 'DEV_ONLY', value: 'd', target: ['development'] });
    expect(await Env.resolveForBuild(project.id, 'production')).toEqual({ env: { PLAIN: 'p', SECRET: 's3cr3t' }, sensitiveKeys: ['SECRET'] });
    expect(await Env.resolveForBuild(project.id, 'preview')).toEqual({ env: { PLAIN: 'p' }, sensitiveKeys: [] });
  });

  test('scopes (Netlify\'s): a build-only var reaches builds, not functions; a functions-only var the reverse; PATCH changes them; bad scopes are 400s', async () => {
    const { c, project } = await setup();
    const both = await c.post(`/v1/projects/${project.id}/env`, { key: 'BOTH', value: 'b', target: ['production'] });
    expect(both.body.items[0].scopes).toEqual(['builds', 'functions']);
    const buildOnly = await c.post(`/v1/projects/${project.id}/env`, { key: 'NPM_TOKEN', value: 'npm-secret', target: ['production'], sensitive: true, scopes: ['builds'] });
    expect(buildOnly.status).toBe(201);
    expect(buildOnly.body.items[0].scopes).toEqual(['builds']);
    await c.post(`/v1/projects/${project.id}/env`, { key: 'RUNTIME_ONLY', value: 'r', target: ['production'], scopes: ['functions'] });
    expect(await Env.resolveForBuild(project.id, 'production')).toEqual({ env: { BOTH: 'b', NPM_TOKEN: 'npm-secret' }, sensitiveKeys: ['NPM_TOKEN'] });
    expect(await Env.resolveForRuntime(project.id, 'production')).toEqual({ env: { BOTH: 'b', RUNTIME_ONLY: 'r' }, sensitiveKeys: [] });

    const patched = await c.patch(`/v1/projects/${project.id}/env/${buildOnly.body.items[0].id}`, { scopes: ['builds', 'functions'] });
    expect(patched.status).toBe(200);
    expect(patched.body.scopes).toEqual(['builds', 'functions']);
    expect((await Env.resolveForRuntime(project.id, 'production')).env.NPM_TOKEN).toBe('npm-secret');

    for (const scopes of [[], ['runtime'], ['builds', 'builds'], 'builds']) {
      const res = await c.post(`/v1/projects/${project.id}/env`, { key: 'BAD', value: 'x', target: ['preview'], scopes });
      expect(res.status, JSON.stringify(scopes)).toBe(400);
    }
    expect((await c.get(`/v1/projects/${project.id}/env`)).body.items.map((e: { key: string }) => e.key)).not.toContain('BAD');
  });

  test('deleting the project deletes its env vars', async () => {
    const { team, c, project } = await setup();
    await c.post(`/v1/projects/${project.id}/env`, { key: 'GONE', value: 'x', target: ['preview'] });
    await c.del(`/v1/projects/${project.id}`);
    expect((await teamItems(team.id)).filter((i) => i.projectId === project.id)).toEqual([]);
  });
});
