import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Token } from '../../../functions/src/core/auth/index.ts';
import { type Api, client, newTeam, startApi, teamItems, uniqueName } from './harness.ts';

let api: Api;
beforeAll(async () => {
  api = await startApi();
});
afterAll(() => api.close());

describe('teams', () => {
  test("a token sees its own team, in the list and by id", async () => {
    const team = await newTeam();
    const c = client(api, team.tokens.viewer);
    expect((await c.get('/v1/teams')).body).toEqual({ items: [{ id: team.id, name: team.name, createdAt: expect.any(String) }], next: null });
    expect((await c.get(`/v1/teams/${team.id}`)).body.name).toBe(team.name);
  });

  test('creating a team answers with an owner token that works for the new team only', async () => {
    const team = await newTeam();
    const name = uniqueName('new');
    const res = await client(api, team.tokens.owner).post('/v1/teams', { name });
    expect(res.status).toBe(201);
    expect(res.body.token).toMatchObject({ token: { role: 'owner', teamId: res.body.team.id }, secret: expect.stringMatching(/^rwy_/) });
    expect((await client(api, res.body.token.secret).get('/v1/teams')).body.items[0].name).toBe(name);
    expect((await client(api, team.tokens.owner).post('/v1/teams', { name })).status).toBe(409);
  });

  test('only an owner may create a team: a member or viewer token gets 403 and the name stays free', async () => {
    const team = await newTeam();
    const name = uniqueName('nope');
    for (const role of ['member', 'viewer'] as const) {
      const res = await client(api, team.tokens[role]).post('/v1/teams', { name });
      expect(res.status, role).toBe(403);
      expect(res.body.error).toMatchObject({ code: 'forbidden', message: expect.stringContaining('admin') });
    }
    expect((await client(api, team.tokens.owner).post('/v1/teams', { name })).status).toBe(201);
  });

  test('list cursors are opaque: no page holds another token\'s hash; a tampered cursor or another team\'s is a 400', async () => {
    const team = await newTeam();
    const other = await newTeam();
    const c = client(api, team.tokens.owner);
    for (let i = 0; i < 3; i++) await c.post('/v1/tokens', { name: `t${i}` });
    const first = await c.get('/v1/tokens?limit=2');
    const next: string = first.body.next;
    expect(next).toEqual(expect.any(String));
    const hashes = (await teamItems(team.id)).flatMap((item) => (typeof item.hash === 'string' ? [item.hash] : []));
    expect(hashes.length).toBeGreaterThan(3);
    for (const form of [next, Buffer.from(next, 'base64url').toString('utf8'), Buffer.from(next, 'base64url').toString('hex')]) {
      for (const hash of hashes) expect(form).not.toContain(hash.slice(0, 16));
      expect(form).not.toContain('token-hash');
    }
    expect((await c.get(`/v1/tokens?limit=2&cursor=${next}`)).status).toBe(200);
    const tampered = `${next.slice(0, 10)}${next[10] === 'A' ? 'B' : 'A'}${next.slice(11)}`;
    for (const [who, cursor] of [[team.tokens.owner, tampered], [other.tokens.owner, next]] as const) {
      const res = await client(api, who).get(`/v1/tokens?limit=2&cursor=${cursor}`);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_cursor');
    }
  });

  test('owners add members, change their role and remove them', async () => {
    const team = await newTeam();
    const c = client(api, team.tokens.owner);
    const added = await c.post(`/v1/teams/${team.id}/members`, { principal: 'Ada@Example.com', role: 'member' });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ principal: 'ada@example.com', role: 'member' });
    expect((await c.post(`/v1/teams/${team.id}/members`, { principal: 'ada@example.com', role: 'viewer' })).status).toBe(409);
    expect((await c.patch(`/v1/teams/${team.id}/members/ada@example.com`, { role: 'viewer' })).body.role).toBe('viewer');
    expect((await c.get(`/v1/teams/${team.id}/members`)).body.items).toMatchObject([{ principal: 'ada@example.com', role: 'viewer' }]);
    expect((await c.del(`/v1/teams/${team.id}/members/ada@example.com`)).status).toBe(204);
    expect((await c.del(`/v1/teams/${team.id}/members/ada@example.com`)).status).toBe(404);
  });

  test('members cannot manage members (owner only): 403', async () => {
    const team = await newTeam();
    const res = await client(api, team.tokens.member).post(`/v1/teams/${team.id}/members`, { principal: 'bob@example.com', role: 'owner' });
    expect(res.status).toBe(403);
  });
});

describe('tokens', () => {
  test('created once with its secret, listed without it', async () => {
    const team = await newTeam();
    const c = client(api, team.tokens.owner);
    const created = await c.post('/v1/tokens', { name: 'ci', role: 'member' });
    expect(created.status).toBe(201);
    expect(created.body.secret).toMatch(/^rwy_[A-Za-z0-9_-]{43}$/);
    const listed = await c.get('/v1/tokens');
    expect(listed.text).not.toContain(created.body.secret);
    expect(listed.body.items[0]).toEqual(created.body.token);
    expect((await c.get(`/v1/tokens/${created.body.token.id}`)).body).toEqual(created.body.token);
  });

  test('the list pages newest first by cursor', async () => {
    const team = await newTeam();
    const c = client(api, team.tokens.owner);
    const first = await c.get('/v1/tokens?limit=2');
    expect(first.body.items.map((t: { name: string }) => t.name)).toEqual(['viewer', 'member']);
    const second = await c.get(`/v1/tokens?limit=2&cursor=${first.body.next}`);
    expect(second.body).toMatchObject({ items: [{ name: 'owner' }], next: null });
  });

  test('a token works the moment it is created', async () => {
    const team = await newTeam();
    const { body } = await client(api, team.tokens.owner).post('/v1/tokens', { name: 'fresh', role: 'viewer' });
    expect((await client(api, body.secret).get('/v1/teams')).status).toBe(200);
  });

  test('a revoked token is a 401 from then on', async () => {
    const team = await newTeam();
    const c = client(api, team.tokens.owner);
    const { body } = await c.post('/v1/tokens', { name: 'short-lived' });
    expect((await client(api, body.secret).get('/v1/projects')).status).toBe(200);
    const revoked = await c.del(`/v1/tokens/${body.token.id}`);
    expect(revoked.body.revokedAt).toEqual(expect.any(String));
    const res = await client(api, body.secret).get('/v1/projects');
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('unauthorized');
  });

  test('an expired token is a 401', async () => {
    const team = await newTeam();
    const { secret, token } = await Token.create(team.id, { name: 'soon', role: 'member', expiresAt: new Date(Date.now() + 60_000).toISOString() }, 'owner');
    expect((await client(api, secret).get('/v1/projects')).status).toBe(200);
    await expect(Token.authenticate(secret, Date.now() + 120_000)).rejects.toThrow(/bearer token/);
    expect(token.expiresAt).toEqual(expect.any(String));
  });

  test('an expiry in the past is refused', async () => {
    const team = await newTeam();
    const res = await client(api, team.tokens.owner).post('/v1/tokens', { name: 'x', expiresAt: '2020-01-01T00:00:00Z' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('expiry_in_past');
  });

  test('no, malformed or unknown tokens are all the same 401', async () => {
    const c = client(api);
    for (const token of [null, 'not-a-token', `rwy_${'x'.repeat(43)}`]) {
      const res = await c.get('/v1/projects', { token });
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('unauthorized');
    }
  });
});
