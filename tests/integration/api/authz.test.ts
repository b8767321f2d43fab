import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { HTTP_ROUTES, routeKey } from '../../../functions/src/handlers/http/routes.ts';
import type { AnyRoute } from '../../../functions/src/lib/http.ts';
import { gh } from '../../../functions/src/adapters/db/dynamodb/github-model.ts';
import { NodeDnsResolver } from '../../../functions/src/adapters/dns/node.ts';
import { LocalDomainAttachments } from '../../../functions/src/adapters/domain-attachments/local.ts';
import { override } from '../../../functions/src/core/context.ts';
import { startDnsServer, type LocalDnsServer } from '../../../local/dns-server.ts';
import { type Api, type Client, client, newTeam, readyDeployment, sha256, startApi, type TestTeam, teamItems, uniqueName, upload } from './harness.ts';

/**
 * The authorization matrix: every route that names an object × a token of another team → 404
 * (never 403: the other team must not learn the object exists); every write × a viewer → 403.
 * Either way nothing is written, checked against a snapshot of the owning team's items.
 */
let api: Api;
let a: TestTeam;
let b: TestTeam;
let ids: { project: string; deployment: string; env: string; token: string; principal: string; installation: string; domain: string };
let dns: LocalDnsServer;
let restoreDomains: () => void;
let files: Array<{ file: string; sha: string; size: number }>;

beforeAll(async () => {
  api = await startApi();
  // Custom domains are checked against a real DNS server on loopback, attached by the local twin.
  dns = await startDnsServer();
  const resolver = new NodeDnsResolver({ servers: [dns.address] });
  restoreDomains = override({ dns: resolver, domainAttachments: new LocalDomainAttachments(resolver, 'edge.runway.test') });
  [a, b] = [await newTeam(), await newTeam()];
  const c = client(api, a.tokens.owner);
  const { body: project } = await c.post('/v1/projects', { name: uniqueName('authz') });
  const deployment = await readyDeployment(c, project.id);
  await c.post(`/v1/projects/${project.id}/promote`, { deploymentId: deployment.id });
  const { body: env } = await c.post(`/v1/projects/${project.id}/env`, { key: 'K', value: 'v', target: ['preview'] });
  const { body: token } = await c.post('/v1/tokens', { name: 'victim', role: 'member' });
  await c.post(`/v1/teams/${a.id}/members`, { principal: 'owner@a.example', role: 'owner' });
  files = await upload(c, { 'index.html': uniqueName('f') });
  const { body: domain } = await c.post(`/v1/projects/${project.id}/domains`, { name: `www.${uniqueName('authz')}.test` });
  // A GitHub App installation linked to team A (as `POST /v1/git/installations` leaves it).
  const installationId = 900_000_000 + Math.floor(Math.random() * 1_000_000);
  const now = new Date().toISOString();
  await gh().entities.installation.upsert({ installationId, accountLogin: 'a-org', teamId: a.id, linkedAt: now, createdAt: now, updatedAt: now }).go();
  await gh().entities.teamLink.upsert({ teamId: a.id, installationId, linkedAt: now }).go();
  ids = { project: project.id, deployment: deployment.id, env: env.items[0].id, token: token.token.id, principal: 'owner@a.example', installation: String(installationId), domain: domain.name };
});
afterAll(async () => {
  restoreDomains();
  await dns.close();
  await api.close();
});

/** A valid request for each route, naming team A's objects. */
function requestFor(key: string): { path: string; body?: unknown; raw?: Buffer; headers?: Record<string, string> } {
  const fill = (path: string) =>
    path
      .replace('{teamId}', a.id)
      .replace('{principal}', ids.principal)
      .replace('{tokenId}', ids.token)
      .replace('{idOrName}', ids.project)
      .replace('{envId}', ids.env)
      .replace('{installationId}', ids.installation)
      .replace('{domain}', ids.domain)
      .replace('{id}', ids.deployment);
  const [, path = ''] = key.split(' ');
  const bodies: Record<string, unknown> = {
    'POST /v1/teams': { name: uniqueName('t') },
    'POST /v1/teams/{teamId}/members': { principal: 'new@a.example', role: 'member' },
    'PATCH /v1/teams/{teamId}/members/{principal}': { role: 'viewer' },
    'POST /v1/tokens': { name: 'x' },
    'POST /v1/projects': { name: uniqueName('p') },
    'PATCH /v1/projects/{idOrName}': { buildCommand: 'evil' },
    'POST /v1/projects/{idOrName}/promote': { deploymentId: ids.deployment },
    'POST /v1/projects/{idOrName}/rollback': { deploymentId: ids.deployment },
    'POST /v1/projects/{idOrName}/env': { key: 'NEW', value: 'x', target: ['preview'] },
    'PATCH /v1/projects/{idOrName}/env/{envId}': { value: 'changed' },
    'POST /v1/deployments': { project: ids.project, files },
    'POST /v1/deployments/{id}/redeploy': {},
    'POST /v1/projects/{idOrName}/domains': { name: `www.${uniqueName('new')}.test` },
    'PATCH /v1/projects/{idOrName}/domains/{domain}': { gitBranch: 'evil' },
  };
  if (key === 'POST /v1/files') {
    const raw = Buffer.from('x');
    return { path, raw, headers: { 'content-type': 'application/octet-stream', 'x-runway-digest': `sha256=${sha256(raw)}` } };
  }
  return { path: fill(path), ...(key in bodies ? { body: bodies[key] } : {}) };
}

async function send(c: Client, key: string) {
  const [method = 'GET'] = key.split(' ');
  const r = requestFor(key);
  return c.request(method, r.path, { body: r.body, raw: r.raw, headers: r.headers });
}

const snapshot = async (teamId: string) =>
  JSON.stringify((await teamItems(teamId)).sort((x, y) => `${x.pk}${x.sk}`.localeCompare(`${y.pk}${y.sk}`)));

/** Routes that take an API token (others, like health or the build API, have their own checks). */
const tokenRoutes: string[] = [];
for (const r of HTTP_ROUTES) {
  const mod = (await import(`../../../functions/src/handlers/http/${r.handler}.ts`)) as { routes: Record<string, AnyRoute> };
  if (mod.routes[routeKey(r)]?.auth === 'token') tokenRoutes.push(routeKey(r));
}
const withIds = tokenRoutes.filter((k) => k.includes('{'));
const writes = tokenRoutes.filter((k) => !k.startsWith('GET '));

describe("another team's token", () => {
  test.each(withIds)('%s → 404', async (key) => {
    const before = await snapshot(a.id);
    const res = await send(client(api, b.tokens.owner), key);
    expect(res.status).toBe(404);
    expect(await snapshot(a.id)).toBe(before);
  });

  test('a project id in the query or the body → 404', async () => {
    const c = client(api, b.tokens.owner);
    expect((await c.get(`/v1/deployments?projectId=${ids.project}`)).status).toBe(404);
    expect((await send(c, 'POST /v1/deployments')).status).toBe(404);
  });

  test("promoting the other team's deployment on one's own project → 404", async () => {
    const c = client(api, b.tokens.owner);
    const { body: own } = await c.post('/v1/projects', { name: uniqueName('own') });
    const res = await c.post(`/v1/projects/${own.id}/promote`, { deploymentId: ids.deployment });
    expect(res.status).toBe(404);
  });

  test("lists never show the other team's objects", async () => {
    const c = client(api, b.tokens.owner);
    for (const path of ['/v1/projects', '/v1/deployments', '/v1/tokens', `/v1/teams`]) {
      expect((await c.get(path)).text).not.toContain(a.id);
    }
  });
});

describe('a viewer token', () => {
  test.each(writes)('%s → 403', async (key) => {
    const before = await snapshot(a.id);
    const res = await send(client(api, a.tokens.viewer), key);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('forbidden');
    expect(await snapshot(a.id)).toBe(before);
  });

  test('can read', async () => {
    const c = client(api, a.tokens.viewer);
    for (const key of tokenRoutes.filter((k) => k.startsWith('GET '))) {
      expect((await send(c, key)).status, key).toBe(200);
    }
  });
});
