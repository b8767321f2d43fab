import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { checkDomains } from '../../../functions/src/handlers/jobs/check-domains.ts';
import { client, newTeam, teamItems, teamWithProject, uniqueName, type Client } from '../api/harness.ts';
import { EDGE_ADDRESS, servedDeployment, startDomainWorld, TARGET, until, visit, type DomainWorld } from './support.ts';

let world: DomainWorld;
beforeAll(async () => {
  world = await startDomainWorld();
});
afterAll(() => world.close());

/** A domain name under a TLD reserved for tests (RFC 2606), unique to this run. */
const domainName = (label = 'www') => `${label}.${uniqueName('ex')}.test`;

async function setup() {
  const { team, c, project } = await teamWithProject(world.api, 'dom');
  return { team, c, project: project as { id: string; teamId: string; name: string } };
}

/** Publishes the records the API asked for, as the domain's owner does at their DNS host. */
function publish(records: Array<{ type: string; name: string; value: string }>): void {
  for (const r of records) {
    if (r.type === 'TXT') world.dns.set(r.name, 'TXT', [r.value]);
    else if (r.type === 'CNAME') world.dns.set(r.name, 'CNAME', [r.value]);
    else world.dns.set(r.name, 'A', [EDGE_ADDRESS]); // ALIAS at the apex: flattened to the target's address
  }
}

async function verified(c: Client, project: string, name: string) {
  const res = await c.post(`/v1/projects/${project}/domains/${name}/verify`);
  expect(res.status).toBe(200);
  return res.body;
}

describe('adding and verifying a domain', () => {
  test('add → pending with records → TXT and CNAME published → verify → active → served with the production bytes; rollback moves it too', async () => {
    const { c, project } = await setup();
    const first = await servedDeployment(c, project, { html: '<h1>first</h1>' });
    await servedDeployment(c, project, { html: '<h1>second</h1>' });
    const name = domainName();

    const added = await c.post(`/v1/projects/${project.name}/domains`, { name });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ name, displayName: name, status: 'pending_verification', verified: false, apex: false });
    const [txt, cname] = added.body.records;
    expect(txt).toMatchObject({ type: 'TXT', name: `_runway-challenge.${name}`, purpose: 'ownership', ok: false, found: [] });
    expect(txt.value).toMatch(/^rwy-[0-9a-z]{32}$/);
    expect(cname).toMatchObject({ type: 'CNAME', name, value: TARGET, purpose: 'routing', ok: false });
    expect((await visit(world, name)).status).toBe(404);

    publish(added.body.records);
    const after = await verified(c, project.name, name);
    expect(after).toMatchObject({ status: 'active', verified: true, certificate: { status: 'issued' } });
    expect(after.records.every((r: { ok: boolean }) => r.ok)).toBe(true);
    expect(await visit(world, name)).toMatchObject({ status: 200, body: '<h1>second</h1>' });
    const listed = await c.get(`/v1/projects/${project.id}/domains`);
    expect(listed.body.items).toMatchObject([{ name, status: 'active' }]);

    const calls = { ...world.attachments.calls };
    const rolled = await c.post(`/v1/projects/${project.id}/rollback`, {});
    expect(rolled.status).toBe(200);
    expect(rolled.body.alias.deploymentId).toBe(first.id);
    await until(async () => (await visit(world, name)).body === '<h1>first</h1>');
    // No control-plane call of the attachments for a rollback.
    expect(world.attachments.calls).toEqual(calls);
  });

  test('a CNAME pointing elsewhere is misconfigured, saying which record and what DNS answered; a missing one leaves it verified', async () => {
    const { c, project } = await setup();
    const name = domainName('shop');
    const { body } = await c.post(`/v1/projects/${project.id}/domains`, { name });
    publish(body.records.filter((r: { type: string }) => r.type === 'TXT'));
    expect(await verified(c, project.id, name)).toMatchObject({ status: 'verified', verified: true });
    world.dns.set(name, 'CNAME', ['somewhere-else.example.net']);
    const wrong = await verified(c, project.id, name);
    expect(wrong.status).toBe('misconfigured');
    expect(wrong.records.find((r: { purpose: string }) => r.purpose === 'routing')).toMatchObject({ type: 'CNAME', name, value: TARGET, ok: false, found: ['somewhere-else.example.net'] });
  });

  test('an IDN is stored as punycode and shown in Unicode; the Unicode path finds it', async () => {
    const { c, project } = await setup();
    const label = uniqueName('bü');
    const res = await c.post(`/v1/projects/${project.id}/domains`, { name: `Bücher.${label}.test` });
    expect(res.status).toBe(201);
    expect(res.body.name).toMatch(/^xn--bcher-kva\.xn--/);
    expect(res.body.displayName).toBe(`bücher.${label}.test`);
    const got = await c.get(`/v1/projects/${project.id}/domains/${encodeURIComponent(`bücher.${label}.test`)}`);
    expect(got.status).toBe(200);
    expect(got.body.id).toBe(res.body.id);
  });
});

describe('what a domain serves', () => {
  test('apex → www redirect answers 308 (or the chosen code) to the www domain, keeping path and query', async () => {
    const { c, project } = await setup();
    await servedDeployment(c, project, { html: '<h1>www</h1>' });
    const apex = `${uniqueName('apex')}.test`;
    const www = `www.${apex}`;
    const w = await c.post(`/v1/projects/${project.id}/domains`, { name: www });
    const a = await c.post(`/v1/projects/${project.id}/domains`, { name: apex, redirect: www });
    expect(a.status).toBe(201);
    expect(a.body).toMatchObject({ apex: true, redirect: www, redirectStatusCode: 308 });
    expect(a.body.records.find((r: { purpose: string }) => r.purpose === 'routing')).toMatchObject({ type: 'ALIAS', name: apex, value: TARGET });
    publish([...w.body.records, ...a.body.records]);
    expect(await verified(c, project.id, apex)).toMatchObject({ status: 'active' });
    const res = await visit(world, apex, '/docs/page?x=1&y=two');
    expect(res.status).toBe(308);
    expect(res.location).toMatch(new RegExp(`^https?://${www.replace(/\./g, '\\.')}(:\\d+)?/docs/page\\?x=1&y=two$`));

    const patched = await c.patch(`/v1/projects/${project.id}/domains/${apex}`, { redirectStatusCode: 301 });
    expect(patched.body.redirectStatusCode).toBe(301);
    await until(async () => (await visit(world, apex, '/')).status === 301);
    // The redirect target cannot go while a domain redirects to it.
    const refused = await c.del(`/v1/projects/${project.id}/domains/${www}`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('domain_is_redirect_target');
  });

  test("a branch domain follows the branch's newest READY deployment", async () => {
    const { c, project } = await setup();
    await servedDeployment(c, project, { html: '<h1>prod</h1>' });
    const name = domainName('staging');
    const added = await c.post(`/v1/projects/${project.id}/domains`, { name, gitBranch: 'staging' });
    publish(added.body.records);
    expect(await verified(c, project.id, name)).toMatchObject({ status: 'active', gitBranch: 'staging' });
    await servedDeployment(c, project, { target: 'preview', branch: 'staging', html: '<h1>staging 1</h1>' });
    await until(async () => (await visit(world, name)).body === '<h1>staging 1</h1>');
    await servedDeployment(c, project, { target: 'preview', branch: 'staging', html: '<h1>staging 2</h1>' });
    await until(async () => (await visit(world, name)).body === '<h1>staging 2</h1>');
    // Back to production.
    await c.patch(`/v1/projects/${project.id}/domains/${name}`, { gitBranch: null });
    await until(async () => (await visit(world, name)).body === '<h1>prod</h1>');
  });

  test('a wildcard is verified by its TXT proof alone and serves any one-label subdomain', async () => {
    const { c, project } = await setup();
    await servedDeployment(c, project, { html: '<h1>wild</h1>' });
    const base = `${uniqueName('wild')}.test`;
    const added = await c.post(`/v1/projects/${project.id}/domains`, { name: `*.${base}` });
    expect(added.status).toBe(201);
    expect(added.body.records).toEqual([expect.objectContaining({ type: 'TXT', name: `_runway-challenge.${base}` })]);
    publish(added.body.records);
    expect(await verified(c, project.id, `*.${base}`)).toMatchObject({ status: 'active', wildcard: true });
    expect(await visit(world, `tenant-1.${base}`)).toMatchObject({ status: 200, body: '<h1>wild</h1>' });
    expect((await visit(world, `a.b.${base}`)).status).toBe(404);
  });
});

describe('ownership', () => {
  test("team B cannot attach team A's active domain without the TXT proof (409 with what to do), and can with it; A's is detached with a notice", async () => {
    const a = await setup();
    await servedDeployment(a.c, a.project, { html: '<h1>team a</h1>' });
    const name = domainName();
    const added = await a.c.post(`/v1/projects/${a.project.id}/domains`, { name });
    publish(added.body.records);
    expect(await verified(a.c, a.project.id, name)).toMatchObject({ status: 'active' });

    const b = await setup();
    await servedDeployment(b.c, b.project, { html: '<h1>team b</h1>' });
    const refused = await b.c.post(`/v1/projects/${b.project.id}/domains`, { name });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'domain_in_use', records: [{ type: 'TXT', name: `_runway-challenge.${name}` }] });
    const proofB = refused.body.error.records[0].value;
    expect(proofB).not.toBe(added.body.records[0].value);
    expect(await visit(world, name)).toMatchObject({ body: '<h1>team a</h1>' });

    world.dns.set(`_runway-challenge.${name}`, 'TXT', [proofB]);
    const moved = await b.c.post(`/v1/projects/${b.project.id}/domains`, { name });
    expect(moved.status).toBe(201);
    expect(moved.body.status).toBe('active');
    await until(async () => (await visit(world, name)).body === '<h1>team b</h1>');
    const old = await a.c.get(`/v1/projects/${a.project.id}/domains/${name}`);
    expect(old.body).toMatchObject({ status: 'detached', verified: false });
    expect(old.body.notice).toMatch(/another team proved control/);
  });

  test('proof removed and DNS pointed away → detached by the scheduled check, and no longer served', async () => {
    const { c, project } = await setup();
    await servedDeployment(c, project, { html: '<h1>dangling</h1>' });
    const name = domainName();
    const added = await c.post(`/v1/projects/${project.id}/domains`, { name });
    publish(added.body.records);
    expect(await verified(c, project.id, name)).toMatchObject({ status: 'active' });

    // Only the CNAME gone: still proven, so kept (misconfigured), still attached.
    world.dns.set(name, 'CNAME', []);
    await checkDomains();
    expect((await c.get(`/v1/projects/${project.id}/domains/${name}`)).body.status).toBe('verified');
    expect((await visit(world, name)).status).toBe(200);

    world.dns.remove(`_runway-challenge.${name}`);
    world.dns.set(name, 'A', ['192.0.2.10']);
    const report = await checkDomains();
    expect(report.detached).toBeGreaterThanOrEqual(1);
    const after = (await c.get(`/v1/projects/${project.id}/domains/${name}`)).body;
    expect(after).toMatchObject({ status: 'detached', verified: false });
    expect(after.notice).toMatch(/no longer points here/);
    await until(async () => (await visit(world, name)).status === 404);
  });

  test('a deleted project frees its domains: the host stops serving and another team can add it', async () => {
    const a = await setup();
    await servedDeployment(a.c, a.project, { html: '<h1>gone soon</h1>' });
    const name = domainName();
    const added = await a.c.post(`/v1/projects/${a.project.id}/domains`, { name });
    publish(added.body.records);
    await verified(a.c, a.project.id, name);
    expect((await a.c.del(`/v1/projects/${a.project.id}`)).status).toBeLessThan(300);
    await until(async () => (await visit(world, name)).status === 404);
    await checkDomains();
    const b = await setup();
    expect((await b.c.post(`/v1/projects/${b.project.id}/domains`, { name })).status).toBe(201);
  });
});

describe('bad input', () => {
  test.each([
    ['exa mple.com', 'invalid_domain_name'],
    ['-bad.example.com', 'invalid_domain_name'],
    ['a..b.com', 'invalid_domain_name'],
    ['localhost', 'invalid_domain_name'],
    ['10.0.0.1', 'invalid_domain_name'],
    [`${'a'.repeat(64)}.com`, 'invalid_domain_name'],
    ['a.*.example.com', 'invalid_domain_name'],
    ['myapp.localhost', 'platform_domain'],
  ])('%s → 400 %s, nothing written', async (name, code) => {
    const { team, c, project } = await setup();
    const before = await teamItems(team.id);
    const res = await c.post(`/v1/projects/${project.id}/domains`, { name });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code, message: expect.any(String) });
    expect(await teamItems(team.id)).toEqual(before);
  });

  test('unknown fields, a bad status code, a redirect to a domain the project lacks, redirect with branch: 4xx, nothing written', async () => {
    const { team, c, project } = await setup();
    const before = await teamItems(team.id);
    const name = domainName();
    expect((await c.post(`/v1/projects/${project.id}/domains`, { name, extra: 1 })).status).toBe(400);
    expect((await c.post(`/v1/projects/${project.id}/domains`, { name, redirect: `x.${name}`, redirectStatusCode: 303 })).status).toBe(400);
    expect((await c.post(`/v1/projects/${project.id}/domains`, { name, redirect: `x.${name}`, gitBranch: 'main' })).body.error.code).toBe('invalid_redirect');
    const missing = await c.post(`/v1/projects/${project.id}/domains`, { name, redirect: `x.${name}` });
    expect(missing.status).toBe(422);
    expect(missing.body.error.code).toBe('redirect_target_not_found');
    expect(await teamItems(team.id)).toEqual(before);
  });

  test('a viewer cannot add; another team cannot see; an unknown domain is 404', async () => {
    const { team, c, project } = await setup();
    const name = domainName();
    const viewer = client(world.api, team.tokens.viewer);
    expect((await viewer.post(`/v1/projects/${project.id}/domains`, { name })).status).toBe(403);
    const other = client(world.api, (await newTeam()).tokens.member);
    expect((await other.get(`/v1/projects/${project.id}/domains`)).status).toBe(404);
    expect((await c.get(`/v1/projects/${project.id}/domains/${name}`)).body.error.code).toBe('domain_not_found');
  });
});
