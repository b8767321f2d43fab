import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Api, client, newTeam, startApi, teamItems, uniqueName } from './harness.ts';

let api: Api;
beforeAll(async () => {
  api = await startApi();
});
afterAll(() => api.close());

describe('projects', () => {
  test('create, then get by id and by name, with the version as ETag', async () => {
    const team = await newTeam();
    const c = client(api, team.tokens.member);
    const name = uniqueName('web');
    const created = await c.post('/v1/projects', { name, framework: 'vite' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name, teamId: team.id, framework: 'vite', productionBranch: 'main', version: 1 });
    expect(created.headers.get('etag')).toBe('"1"');
    const byId = await c.get(`/v1/projects/${created.body.id}`);
    const byName = await c.get(`/v1/projects/${name}`);
    expect(byId.body).toEqual(created.body);
    expect(byName.body).toEqual(created.body);
  });

  test('names are unique platform-wide, like the host they become: another team\'s project of that name is a 409, in either order, and nothing of it is written', async () => {
    const [a, b] = [await newTeam(), await newTeam()];
    for (const [first, second] of [[a, b], [b, a]] as const) {
      const name = uniqueName('site');
      expect((await client(api, first.tokens.owner).post('/v1/projects', { name })).status).toBe(201);
      const again = await client(api, first.tokens.owner).post('/v1/projects', { name });
      expect(again.status).toBe(409);
      expect(again.body.error.code).toBe('project_name_taken');
      const before = (await teamItems(second.id)).length;
      const other = await client(api, second.tokens.owner).post('/v1/projects', { name });
      expect(other.status).toBe(409);
      expect(other.body.error).toMatchObject({ code: 'project_name_taken', message: expect.stringContaining(`${name}.localhost belongs to another project`) });
      expect(other.text).not.toContain(first.id);
      expect((await teamItems(second.id)).length).toBe(before);
    }
  });

  test.each(['shop-git-main', 'shop-git'])('a name shaped like a branch host (%s) is a 400 invalid_project_name', async (name) => {
    const res = await client(api, (await newTeam()).tokens.owner).post('/v1/projects', { name: `${uniqueName('x')}-${name}` });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'invalid_project_name', message: expect.stringContaining('-git-') });
  });

  test('list pages by name with a cursor', async () => {
    const team = await newTeam();
    const c = client(api, team.tokens.owner);
    for (const n of ['a', 'b', 'c']) await c.post('/v1/projects', { name: `${n}-${team.name}` });
    const first = await c.get('/v1/projects?limit=2');
    expect(first.body.items.map((p: { name: string }) => p.name)).toEqual([`a-${team.name}`, `b-${team.name}`]);
    const second = await c.get(`/v1/projects?limit=2&cursor=${first.body.next}`);
    expect(second.body.items.map((p: { name: string }) => p.name)).toEqual([`c-${team.name}`]);
    expect(second.body.next).toBeNull();
  });

  test('PATCH with the current If-Match updates and bumps the version; null clears a setting', async () => {
    const team = await newTeam();
    const c = client(api, team.tokens.member);
    const { body: project } = await c.post('/v1/projects', { name: uniqueName('app'), framework: 'astro' });
    const res = await c.patch(`/v1/projects/${project.id}`, { buildCommand: 'npm run build:site', framework: null }, { headers: { 'if-match': '"1"' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ buildCommand: 'npm run build:site', version: 2 });
    expect(res.body.framework).toBeUndefined();
    expect(res.headers.get('etag')).toBe('"2"');
  });

  test('PATCH with a stale version (If-Match or body) is a 409 and changes nothing', async () => {
    const team = await newTeam();
    const c = client(api, team.tokens.member);
    const { body: project } = await c.post('/v1/projects', { name: uniqueName('app') });
    await c.patch(`/v1/projects/${project.id}`, { productionBranch: 'release' });
    const stale = await c.patch(`/v1/projects/${project.id}`, { productionBranch: 'trunk' }, { headers: { 'if-match': '1' } });
    expect(stale.status).toBe(409);
    expect(stale.body.error).toMatchObject({ code: 'version_conflict', currentVersion: 2 });
    const staleBody = await c.patch(`/v1/projects/${project.id}`, { productionBranch: 'trunk', version: 1 });
    expect(staleBody.status).toBe(409);
    expect((await c.get(`/v1/projects/${project.id}`)).body).toMatchObject({ productionBranch: 'release', version: 2 });
  });

  test('two concurrent PATCHes of the same version: one wins, the other is a 409', async () => {
    const team = await newTeam();
    const c = client(api, team.tokens.member);
    const { body: project } = await c.post('/v1/projects', { name: uniqueName('race') });
    const replies = await Promise.all(
      ['one', 'two'].map((b) => c.patch(`/v1/projects/${project.id}`, { productionBranch: b }, { headers: { 'if-match': '"1"' } })),
    );
    expect(replies.map((r) => r.status).sort()).toEqual([200, 409]);
    const winner = replies.find((r) => r.status === 200)?.body.productionBranch;
    expect((await c.get(`/v1/projects/${project.id}`)).body).toMatchObject({ productionBranch: winner, version: 2 });
  });

  test('DELETE removes the project and its name, which can be used again', async () => {
    const team = await newTeam();
    const c = client(api, team.tokens.member);
    const name = uniqueName('gone');
    const { body: project } = await c.post('/v1/projects', { name });
    expect((await c.del(`/v1/projects/${name}`)).status).toBe(204);
    expect((await c.get(`/v1/projects/${project.id}`)).status).toBe(404);
    expect((await teamItems(team.id)).filter((i) => i.projectId === project.id || i.id === project.id)).toEqual([]);
    expect((await c.post('/v1/projects', { name })).status).toBe(201);
  });
});
