import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Deployment } from '../../../functions/src/core/deployment/index.ts';
import { type Api, client, newTeam, scheduledJob, sha256, startApi, teamBlobs, teamItems, uniqueName, upload } from './harness.ts';

let api: Api;
beforeAll(async () => {
  api = await startApi();
});
afterAll(() => api.close());

async function projectOf(token: string) {
  const c = client(api, token);
  const { body } = await c.post('/v1/projects', { name: uniqueName('dep') });
  return { c, project: body as { id: string; name: string } };
}

describe('POST /v1/files', () => {
  test('stores a file by its sha256 and answers {sha, size}', async () => {
    const team = await newTeam();
    const bytes = Buffer.from(`hello ${uniqueName('x')}`);
    const res = await client(api, team.tokens.member).request('POST', '/v1/files', {
      raw: bytes,
      headers: { 'content-type': 'application/octet-stream', 'x-runway-digest': `sha256=${sha256(bytes)}` },
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ sha: sha256(bytes), size: bytes.length });
    expect(await teamBlobs(team.id)).toEqual([`blobs/${team.id}/${sha256(bytes)}`]);
  });

  test('a digest that does not match the body is a 400 digest_mismatch and stores nothing', async () => {
    const team = await newTeam();
    const res = await client(api, team.tokens.member).request('POST', '/v1/files', {
      raw: Buffer.from('actual bytes'),
      headers: { 'content-type': 'application/octet-stream', 'x-runway-digest': `sha256=${sha256('other bytes')}` },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('digest_mismatch');
    expect(await teamBlobs(team.id)).toEqual([]);
  });

  test('a missing digest header is a 400 invalid_digest', async () => {
    const team = await newTeam();
    const res = await client(api, team.tokens.member).request('POST', '/v1/files', { raw: Buffer.from('x'), headers: { 'content-type': 'application/octet-stream' } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_digest');
  });

  test('a body over 10 MB is refused with 413', async () => {
    const team = await newTeam();
    const bytes = Buffer.alloc(10 * 1024 * 1024 + 1, 1);
    const res = await fetch(`${api.base}/v1/files`, {
      method: 'POST',
      headers: { authorization: `Bearer ${team.tokens.member}`, 'content-type': 'application/octet-stream', 'x-runway-digest': `sha256=${sha256(bytes)}` },
      body: bytes,
    });
    expect(res.status).toBe(413);
    expect(await teamBlobs(team.id)).toEqual([]);
  });
});

describe('POST /v1/deployments (upload protocol)', () => {
  test('lists the shas the team lacks as 400 missing_files, and creates nothing', async () => {
    const team = await newTeam();
    const { c, project } = await projectOf(team.tokens.member);
    const [known] = await upload(c, { 'a.html': `a ${uniqueName('a')}` });
    const unknown = { file: 'b.html', sha: sha256(uniqueName('b')), size: 3 };
    const before = (await teamItems(team.id)).length;
    const res = await c.post('/v1/deployments', { project: project.name, files: [known, unknown] });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'missing_files', missing: [unknown.sha] });
    expect((await teamItems(team.id)).length).toBe(before);
  });

  test('with every blob present: 201 QUEUED, hostname from the short id, build scheduled with the files', async () => {
    const team = await newTeam();
    const { c, project } = await projectOf(team.tokens.member);
    const files = await upload(c, { 'index.html': '<h1>hi</h1>', 'css/site.css': `body{} /* ${uniqueName('c')} */` });
    const res = await c.post('/v1/deployments', { project: project.id, target: 'preview', files, meta: { source: 'cli' } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ state: 'QUEUED', target: 'preview', projectId: project.id, source: { type: 'files', fileCount: 2 } });
    expect(res.body.id).toMatch(/^dpl_[0-9a-z]{9}$/);
    expect(res.body.url).toBe(`${project.name}-${res.body.shortId}.localhost`);
    // The build's job (what the scheduled build fetches with its token) lists the files.
    expect((await scheduledJob(api, res.body.id)).source).toEqual({ type: 'files', files: expect.arrayContaining(files) });
  });

  test("another team's blobs do not count: it must upload its own", async () => {
    const [a, b] = [await newTeam(), await newTeam()];
    const files = await upload(client(api, a.tokens.member), { 'x.txt': `shared ${uniqueName('s')}` });
    const { c } = await projectOf(b.tokens.member);
    const { body: project } = await c.post('/v1/projects', { name: uniqueName('b') });
    const res = await c.post('/v1/deployments', { project: project.id, files });
    expect(res.status).toBe(400);
    expect(res.body.error.missing).toEqual([files[0]?.sha]);
  });

  test('a build that cannot be scheduled leaves the deployment in ERROR, not QUEUED', async () => {
    const team = await newTeam();
    const { c, project } = await projectOf(team.tokens.member);
    const files = await upload(c, { 'index.html': uniqueName('p') });
    api.scheduler.failWith = new Error('scheduler down');
    try {
      const res = await c.post('/v1/deployments', { project: project.id, files }, { allow5xx: true });
      expect(res.status).toBe(500);
      expect(res.body.error.code).toBe('internal_error');
    } finally {
      api.scheduler.failWith = undefined;
    }
    const listed = await c.get(`/v1/deployments?projectId=${project.id}`);
    expect(listed.body.items).toMatchObject([{ state: 'ERROR', errorStep: 'schedule' }]);
  });
});

describe('deployments', () => {
  test('get by id, and list newest first with filters on target, state and branch', async () => {
    const team = await newTeam();
    const { c, project } = await projectOf(team.tokens.member);
    const files = await upload(c, { 'index.html': uniqueName('l') });
    const ids: string[] = [];
    for (const target of ['preview', 'production', 'preview']) {
      ids.push((await c.post('/v1/deployments', { project: project.id, target, files })).body.id);
    }
    await Deployment.transition(ids[0] as string, { from: ['QUEUED'], to: 'CANCELED' });
    expect((await c.get(`/v1/deployments/${ids[1]}`)).body).toMatchObject({ id: ids[1], target: 'production' });
    const all = await c.get(`/v1/deployments?projectId=${project.name}`);
    expect(all.body.items.map((d: { id: string }) => d.id)).toEqual([...ids].reverse());
    const previews = await c.get(`/v1/deployments?projectId=${project.id}&target=preview`);
    expect(previews.body.items.map((d: { id: string }) => d.id)).toEqual([ids[2], ids[0]]);
    const queuedPreviews = await c.get(`/v1/deployments?projectId=${project.id}&target=preview&state=QUEUED`);
    expect(queuedPreviews.body.items.map((d: { id: string }) => d.id)).toEqual([ids[2]]);
    expect((await c.get(`/v1/deployments?projectId=${project.id}&branch=main`)).body.items).toEqual([]);
  });

  test('cursor pagination walks every deployment once, and a cursor of another list is refused', async () => {
    const team = await newTeam();
    const { c, project } = await projectOf(team.tokens.member);
    const files = await upload(c, { 'index.html': uniqueName('pg') });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await c.post('/v1/deployments', { project: project.id, files })).body.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { items: Array<{ id: string }>; next: string | null } } = await c.get(
        `/v1/deployments?projectId=${project.id}&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      seen.push(...page.body.items.map((d) => d.id));
      cursor = page.body.next;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    const first = await c.get(`/v1/deployments?projectId=${project.id}&limit=2`);
    const other = await c.get(`/v1/deployments?limit=2&cursor=${first.body.next}`);
    expect(other.status).toBe(400);
    expect(other.body.error.code).toBe('invalid_cursor');
  });

  test('the team list holds deployments of all its projects', async () => {
    const team = await newTeam();
    const c = client(api, team.tokens.member);
    const files = await upload(c, { 'index.html': uniqueName('tm') });
    const ids = [];
    for (const name of [uniqueName('p1'), uniqueName('p2')]) {
      const { body: project } = await c.post('/v1/projects', { name });
      ids.push((await c.post('/v1/deployments', { project: project.id, files })).body.id);
    }
    expect((await c.get('/v1/deployments')).body.items.map((d: { id: string }) => d.id)).toEqual(ids.reverse());
  });

  test('cancel moves a QUEUED deployment to CANCELED and stops its build; again is a no-op', async () => {
    const team = await newTeam();
    const { c, project } = await projectOf(team.tokens.member);
    const files = await upload(c, { 'index.html': uniqueName('cx') });
    const { body: created } = await c.post('/v1/deployments', { project: project.id, files });
    const res = await c.post(`/v1/deployments/${created.id}/cancel`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ state: 'CANCELED', canceledAt: expect.any(String) });
    expect(api.scheduler.canceled.map((d) => d.id)).toContain(created.id);
    expect((await c.post(`/v1/deployments/${created.id}/cancel`)).body.state).toBe('CANCELED');
  });

  test('cancel of a READY deployment is a 409', async () => {
    const team = await newTeam();
    const { c, project } = await projectOf(team.tokens.member);
    const files = await upload(c, { 'index.html': uniqueName('rd') });
    const { body: created } = await c.post('/v1/deployments', { project: project.id, files });
    await Deployment.transition(created.id, { from: ['QUEUED'], to: 'BUILDING' });
    await Deployment.transition(created.id, { from: ['BUILDING'], to: 'READY' });
    const res = await c.post(`/v1/deployments/${created.id}/cancel`);
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'deployment_not_cancelable', state: 'READY' });
  });

  test('redeploy creates a new QUEUED deployment of the same files, optionally to production', async () => {
    const team = await newTeam();
    const { c, project } = await projectOf(team.tokens.member);
    const files = await upload(c, { 'index.html': uniqueName('re'), 'a.js': uniqueName('js') });
    const { body: original } = await c.post('/v1/deployments', { project: project.id, files });
    const res = await c.post(`/v1/deployments/${original.id}/redeploy`, { target: 'production' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ state: 'QUEUED', target: 'production', redeployOf: original.id, source: original.source });
    expect(res.body.id).not.toBe(original.id);
    expect((await scheduledJob(api, res.body.id)).source).toEqual({ type: 'files', files: [...files].sort((x, y) => x.file.localeCompare(y.file)) });
  });
});
