import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Api, client, newTeam, readyDeployment, startApi, teamWithProject, uniqueName, upload } from './harness.ts';

let api: Api;
beforeAll(async () => {
  api = await startApi();
});
afterAll(() => api.close());

const setup = () => teamWithProject(api, 'al');

describe('promote', () => {
  test('points the production host at a READY deployment and syncs the edge before answering', async () => {
    const { c, project } = await setup();
    const d = await readyDeployment(c, project.id, 'preview');
    const res = await c.post(`/v1/projects/${project.name}/promote`, { deploymentId: d.id });
    expect(res.status).toBe(200);
    const host = `${project.name}.localhost`;
    // Version 1 is the reservation written with the project; the promote is the next write.
    expect(res.body.alias).toMatchObject({ host, deploymentId: d.id, kind: 'production', version: 2 });
    expect(res.body.edge).toEqual({ synced: true, host, deploymentId: d.id });
    expect(api.edge.entries.get(host)).toBe(d.id);
    const listed = await c.get(`/v1/projects/${project.id}/aliases`);
    expect(listed.body.items).toMatchObject([{ host, deploymentId: d.id }]);
  });

  test('a deployment that is not READY cannot be promoted (422) and nothing changes', async () => {
    const { c, project } = await setup();
    const files = await upload(c, { 'index.html': uniqueName('q') });
    const { body: queued } = await c.post('/v1/deployments', { project: project.id, files });
    const res = await c.post(`/v1/projects/${project.id}/promote`, { deploymentId: queued.id });
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: 'deployment_not_ready', state: 'QUEUED' });
    // Only the reservation made with the project: it serves nothing.
    const { items } = (await c.get(`/v1/projects/${project.id}/aliases`)).body;
    expect(items).toEqual([expect.objectContaining({ host: `${project.name}.localhost`, kind: 'production', version: 1 })]);
    expect(items[0]).not.toHaveProperty('deploymentId');
    expect(api.edge.entries.has(`${project.name}.localhost`)).toBe(false);
  });

  test('a deployment of another project of the team is a 422', async () => {
    const { c, project } = await setup();
    const { body: other } = await c.post('/v1/projects', { name: uniqueName('other') });
    const d = await readyDeployment(c, other.id);
    const res = await c.post(`/v1/projects/${project.id}/promote`, { deploymentId: d.id });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('deployment_of_another_project');
  });

  test('two concurrent promotes of different deployments from the same version: one 200, one 409, alias and edge agree', async () => {
    const { c, project } = await setup();
    const [d0, d1, d2] = [await readyDeployment(c, project.id), await readyDeployment(c, project.id), await readyDeployment(c, project.id)];
    await c.post(`/v1/projects/${project.id}/promote`, { deploymentId: d0.id });
    const replies = await Promise.all(
      [d1, d2].map((d) => c.post(`/v1/projects/${project.id}/promote`, { deploymentId: d.id }, { headers: { 'if-match': '"2"' } })),
    );
    expect(replies.map((r) => r.status).sort()).toEqual([200, 409]);
    const loser = replies.find((r) => r.status === 409);
    expect(loser?.body.error.code).toBe('alias_conflict');
    const winner = replies.find((r) => r.status === 200)?.body.alias.deploymentId;
    const [alias] = (await c.get(`/v1/projects/${project.id}/aliases`)).body.items;
    expect(alias).toMatchObject({ deploymentId: winner, previousDeploymentId: d0.id, version: 3 });
    expect(api.edge.entries.get(alias.host)).toBe(winner);
  });

  test('concurrent promotes without If-Match never leave the edge disagreeing with the alias', async () => {
    const { c, project } = await setup();
    const ds = [await readyDeployment(c, project.id), await readyDeployment(c, project.id), await readyDeployment(c, project.id)];
    const replies = await Promise.all(ds.map((d) => c.post(`/v1/projects/${project.id}/promote`, { deploymentId: d.id })));
    for (const r of replies) expect([200, 409]).toContain(r.status);
    expect(replies.some((r) => r.status === 200)).toBe(true);
    const [alias] = (await c.get(`/v1/projects/${project.id}/aliases`)).body.items;
    expect(api.edge.entries.get(alias.host)).toBe(alias.deploymentId);
  });

  test("the production host of another team's project of the same name is never taken over: that project cannot even be created (409)", async () => {
    const name = uniqueName('same');
    const [a, b] = [await newTeam(), await newTeam()];
    const [ca, cb] = [client(api, a.tokens.member), client(api, b.tokens.member)];
    const { body: pa } = await ca.post('/v1/projects', { name });
    const refused = await cb.post('/v1/projects', { name });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('project_name_taken');
    const da = await readyDeployment(ca, pa.id);
    expect((await ca.post(`/v1/projects/${name}/promote`, { deploymentId: da.id })).status).toBe(200);
    expect((await cb.post(`/v1/projects/${name}/promote`, { deploymentId: da.id })).status).toBe(404);
    expect(api.edge.entries.get(`${name}.localhost`)).toBe(da.id);
  });
});

describe('rollback', () => {
  test('by default goes back to the READY production deployment before the live one', async () => {
    const { c, project } = await setup();
    const d1 = await readyDeployment(c, project.id);
    await readyDeployment(c, project.id, 'preview');
    const d3 = await readyDeployment(c, project.id);
    await c.post(`/v1/projects/${project.id}/promote`, { deploymentId: d1.id });
    await c.post(`/v1/projects/${project.id}/promote`, { deploymentId: d3.id });
    const res = await c.post(`/v1/projects/${project.id}/rollback`, {});
    expect(res.status).toBe(200);
    expect(res.body.alias).toMatchObject({ deploymentId: d1.id, previousDeploymentId: d3.id, version: 4 });
    expect(res.body.edge.deploymentId).toBe(d1.id);
    expect(api.edge.entries.get(`${project.name}.localhost`)).toBe(d1.id);
  });

  test('to an explicit earlier production deployment', async () => {
    const { c, project } = await setup();
    const ds = [await readyDeployment(c, project.id), await readyDeployment(c, project.id), await readyDeployment(c, project.id)];
    await c.post(`/v1/projects/${project.id}/promote`, { deploymentId: ds[2]?.id });
    const res = await c.post(`/v1/projects/${project.id}/rollback`, { deploymentId: ds[0]?.id });
    expect(res.status).toBe(200);
    expect(res.body.alias.deploymentId).toBe(ds[0]?.id);
  });

  test('without a production alias, or to a preview deployment, is a 422', async () => {
    const { c, project } = await setup();
    const preview = await readyDeployment(c, project.id, 'preview');
    expect((await c.post(`/v1/projects/${project.id}/rollback`, {})).body.error.code).toBe('no_production_alias');
    const prod = await readyDeployment(c, project.id);
    await c.post(`/v1/projects/${project.id}/promote`, { deploymentId: prod.id });
    const res = await c.post(`/v1/projects/${project.id}/rollback`, { deploymentId: preview.id });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('not_a_production_deployment');
    expect((await c.post(`/v1/projects/${project.id}/rollback`, {})).body.error.code).toBe('no_rollback_target');
  });
});

describe('deleting a project', () => {
  test('removes its aliases from the table and the edge', async () => {
    const { c, project } = await setup();
    const d = await readyDeployment(c, project.id);
    await c.post(`/v1/projects/${project.id}/promote`, { deploymentId: d.id });
    expect(api.edge.entries.has(`${project.name}.localhost`)).toBe(true);
    expect((await c.del(`/v1/projects/${project.id}`)).status).toBe(204);
    expect(api.edge.entries.has(`${project.name}.localhost`)).toBe(false);
    // The name is free again: a new project of it reserves the host afresh, serving nothing.
    const { body: again } = await c.post('/v1/projects', { name: project.name });
    expect((await c.get(`/v1/projects/${again.id}/aliases`)).body.items).toEqual([
      expect.objectContaining({ host: `${project.name}.localhost`, projectId: again.id, version: 1 }),
    ]);
  });
});
