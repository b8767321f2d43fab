import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { z } from 'zod';
import { dynamoClient, s3Client } from '../../../functions/src/adapters/aws/clients.ts';
import { Token } from '../../../functions/src/core/auth/index.ts';
import type { Role } from '../../../functions/src/core/schemas.ts';
import { Team } from '../../../functions/src/core/team/index.ts';
import { HTTP_ROUTES, routeKey } from '../../../functions/src/handlers/http/routes.ts';
import type { AnyRoute } from '../../../functions/src/lib/http.ts';
import { override } from '../../../functions/src/core/context.ts';
import { freePort } from '../../../local/emulator.ts';
import { createGateway } from '../../../local/gateway.ts';
import { S3BlobStore } from '../../../functions/src/adapters/blob-store/s3.ts';
import { KmsEnvCipher } from '../../../functions/src/adapters/env-cipher/kms.ts';
import { Deployment, type DeploymentInfo } from '../../../functions/src/core/deployment/index.ts';
import { createHash } from 'node:crypto';
import { InMemoryEdgeStore, RecordingScheduler } from '../../support/fakes.ts';

/**
 * The API as clients see it: the real local gateway in front of the real handlers, against the
 * emulator the global setup started. The build scheduler and the edge store are in-memory fakes
 * (their adapters are tested by contract elsewhere); blobs and KMS are the emulator's.
 */
export interface Api {
  base: string;
  edge: InMemoryEdgeStore;
  scheduler: RecordingScheduler;
  close(): Promise<void>;
}

export async function startApi(): Promise<Api> {
  const edge = new InMemoryEdgeStore();
  const scheduler = new RecordingScheduler();
  const restore = override({ edgeStore: edge, buildScheduler: scheduler, blobStore: new S3BlobStore(), envCipher: new KmsEnvCipher() });
  const server: http.Server = createGateway();
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${port}`,
    edge,
    scheduler,
    close: async () => {
      restore();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

export interface Reply {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

export interface RequestOptions {
  body?: unknown;
  /** Sent as is (no JSON encoding); content-type from `headers`. */
  raw?: string | Buffer;
  headers?: Record<string, string>;
  token?: string | null;
  /** The test expects a 5xx (every other 5xx fails the request). */
  allow5xx?: boolean;
}

/** Route definitions by key, to check every 2xx body against the schema the OpenAPI document declares. */
const definitions = new Map<string, AnyRoute>();
async function definition(key: string, handler: string): Promise<AnyRoute | undefined> {
  if (!definitions.has(key)) {
    const mod = (await import(`../../../functions/src/handlers/http/${handler}.ts`)) as { routes: Record<string, AnyRoute> };
    for (const [k, def] of Object.entries(mod.routes)) definitions.set(k, def);
  }
  return definitions.get(key);
}

const compiled = HTTP_ROUTES.map((r) => ({
  r,
  pattern: new RegExp(`^${r.path.replace(/\{\w+\}/g, '[^/]+').replace(/\./g, '\\.')}$`),
}));

/** A client bound to one token. */
export function client(api: Api, token?: string) {
  const request = async (method: string, path: string, options: RequestOptions = {}): Promise<Reply> => {
    const headers: Record<string, string> = { ...options.headers };
    const bearer = options.token === undefined ? token : options.token;
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    let body: string | Buffer | undefined;
    if (options.raw !== undefined) body = options.raw;
    else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(api.base + path, { method, headers, body: body as BodyInit | undefined });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    const reply = { status: res.status, headers: res.headers, body: parsed, text };
    await checkContract(method, path, reply, options.allow5xx ?? false);
    return reply;
  };
  return {
    request,
    get: (path: string, o?: RequestOptions) => request('GET', path, o),
    post: (path: string, body?: unknown, o?: RequestOptions) => request('POST', path, { ...o, body }),
    patch: (path: string, body?: unknown, o?: RequestOptions) => request('PATCH', path, { ...o, body }),
    del: (path: string, o?: RequestOptions) => request('DELETE', path, o),
  };
}
export type Client = ReturnType<typeof client>;

/** Every response keeps the API's shapes: 2xx bodies match the declared schema, errors the error shape. */
async function checkContract(method: string, path: string, reply: Reply, allow5xx: boolean): Promise<void> {
  const route = compiled.find(({ r, pattern }) => r.method === method && pattern.test(path.split('?')[0] as string))?.r;
  if (!route) return;
  if (reply.status >= 400) {
    if ((reply.status >= 500 && !allow5xx) || typeof reply.body?.error?.code !== 'string' || typeof reply.body?.error?.message !== 'string') {
      throw new Error(`${method} ${path} → ${reply.status} without the error shape: ${reply.text.slice(0, 300)}`);
    }
    return;
  }
  const def = await definition(routeKey(route), route.handler);
  const schema = def?.responds?.status === reply.status ? def.responds.body : undefined;
  if (schema) {
    const result = (schema as z.ZodType).safeParse(reply.body);
    if (!result.success) throw new Error(`${method} ${path} → ${reply.status}: body does not match its schema: ${result.error.message}`);
  }
}

/** A DNS-safe name no other test uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().replace(/-/g, '').slice(0, 10)}`;
}

export interface TestTeam {
  id: string;
  name: string;
  tokens: Record<Role, string>;
}

/**
 * The job the recorded scheduler's build would fetch (`GET /v1/builds/{id}/job` with its
 * capability token), as the builder sees it.
 */
export async function scheduledJob(api: Api, deploymentId: string): Promise<any> {
  const build = api.scheduler.scheduled.find((b) => b.id === deploymentId);
  if (!build) throw new Error(`no build of ${deploymentId} was scheduled`);
  const res = await fetch(`${api.base}/v1/builds/${deploymentId}/job`, { headers: { authorization: `Bearer ${build.token}` } });
  if (res.status !== 200) throw new Error(`job of ${deploymentId}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** A fresh team with an owner, a member and a viewer token, made through the domain (like the admin CLI). */
export async function newTeam(): Promise<TestTeam> {
  const team = await Team.create(uniqueName('t'));
  const tokens = {} as Record<Role, string>;
  for (const role of ['owner', 'member', 'viewer'] as const) {
    tokens[role] = (await Token.create(team.id, { name: role, role }, 'owner')).secret;
  }
  return { id: team.id, name: team.name, tokens };
}

/** A fresh team and one of its projects, with a member's client. */
export async function teamWithProject(api: Api, prefix: string) {
  const team = await newTeam();
  const c = client(api, team.tokens.member);
  const { body: project } = await c.post('/v1/projects', { name: uniqueName(prefix) });
  return { team, c, project: project as { id: string; name: string } };
}

/** Every item of the table that belongs to the team (what a rejected request must not have added to). */
export async function teamItems(teamId: string): Promise<Array<Record<string, unknown>>> {
  const items: Array<Record<string, unknown>> = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await dynamoClient().send(
      new ScanCommand({
        TableName: process.env.RUNWAY_TABLE_NAME,
        FilterExpression: 'teamId = :t',
        ExpressionAttributeValues: { ':t': teamId },
        ExclusiveStartKey: start,
      }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

/** Keys of the team's blobs in the artifact bucket. */
export async function teamBlobs(teamId: string): Promise<string[]> {
  const res = await s3Client().send(new ListObjectsV2Command({ Bucket: process.env.RUNWAY_ARTIFACT_BUCKET, Prefix: `blobs/${teamId}/` }));
  return (res.Contents ?? []).map((o) => o.Key as string);
}

export const sha256 = (bytes: Buffer | string): string => createHash('sha256').update(bytes).digest('hex');

/** Uploads files through `POST /v1/files` and returns the deployment file list. */
export async function upload(c: Client, files: Record<string, string>): Promise<Array<{ file: string; sha: string; size: number }>> {
  const list = [];
  for (const [file, text] of Object.entries(files)) {
    const bytes = Buffer.from(text);
    const res = await c.request('POST', '/v1/files', {
      raw: bytes,
      headers: { 'content-type': 'application/octet-stream', 'x-runway-digest': `sha256=${sha256(bytes)}` },
    });
    if (res.status !== 200) throw new Error(`upload of ${file} failed: ${res.status} ${res.text}`);
    list.push({ file, sha: sha256(bytes), size: bytes.length });
  }
  return list;
}

/** A deployment created through the API and then built "instantly" through the state machine, as a build would. */
export async function readyDeployment(c: Client, project: string, target: 'production' | 'preview' = 'production', content = uniqueName('page')): Promise<DeploymentInfo> {
  const files = await upload(c, { 'index.html': `<h1>${content}</h1>` });
  const created = await c.post('/v1/deployments', { project, target, files });
  if (created.status !== 201) throw new Error(`create failed: ${created.status} ${created.text}`);
  await Deployment.transition(created.body.id, { from: ['QUEUED'], to: 'BUILDING' });
  return Deployment.transition(created.body.id, { from: ['BUILDING'], to: 'READY' });
}
