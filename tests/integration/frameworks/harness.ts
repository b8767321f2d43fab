import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect } from 'vitest';
import { s3Client } from '../../../functions/src/adapters/aws/clients.ts';
import { newTeam, uniqueName, type Client } from '../api/harness.ts';
import { deployFiles, expectReady, startPlatform, type Platform } from '../builds/platform.ts';

/**
 * End-to-end framework tests: a fixture of tests/fixtures/frameworks uploaded as a CLI would, built
 * by the real builder (dependencies from the npm registry, the framework's own build), finalized,
 * and asked through the local edge, whose function host runs each function in a worker process.
 */
export const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures/frameworks');

/** A deployment's wait for READY: a cold npm install of a framework plus its build, on a loaded 2-core machine. */
export const BUILD_TIMEOUT_MS = 480_000;

/** The fixture's source files: dependencies and every framework's build output left out. */
export function sourceTree(dir: string): Record<string, Buffer> {
  const files: Record<string, Buffer> = {};
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const rel = path.relative(dir, path.join(entry.parentPath, entry.name)).split(path.sep).join('/');
    if (/(^|\/)(node_modules|dist|\.next|\.astro|\.vercel|\.svelte-kit|\.nuxt|\.output)\//.test(rel)) continue;
    files[rel] = fs.readFileSync(path.join(dir, rel));
  }
  return files;
}

export interface Deployed {
  id: string;
  host: string;
  manifest: { framework: string; functions?: Record<string, { paths: string[]; config: Record<string, unknown> }> };
  deployment: Record<string, unknown>;
}

export interface FrameworkSession {
  platform: Platform;
  c: Client;
  /** Creates a project with `env` (runtime env vars of preview deployments) and deploys `fixture` to preview. */
  deploy(fixture: string, env?: Record<string, { value: string; sensitive?: boolean }>): Promise<Deployed>;
  close(): Promise<void>;
}

export async function frameworkSession(): Promise<FrameworkSession> {
  const platform = await startPlatform({ buildTimeoutMs: BUILD_TIMEOUT_MS });
  const c = platform.client((await newTeam()).tokens.owner);
  return {
    platform,
    c,
    async deploy(fixture, env = {}) {
      const name = uniqueName(fixture.replace(/[^a-z]/g, '').slice(0, 8));
      expect((await c.post('/v1/projects', { name })).status).toBe(201);
      for (const [key, { value, sensitive }] of Object.entries(env)) {
        const res = await c.post(`/v1/projects/${name}/env`, { key, value, target: ['preview'], ...(sensitive ? { sensitive: true } : {}) });
        expect(res.status, JSON.stringify(res.body)).toBe(201);
      }
      const { deployment } = await deployFiles(c, name, sourceTree(path.join(FIXTURES, fixture)));
      const done = await expectReady(c, deployment.id, BUILD_TIMEOUT_MS);
      const object = await s3Client().send(new GetObjectCommand({ Bucket: process.env.RUNWAY_ARTIFACT_BUCKET, Key: `manifests/${deployment.id}.json` }));
      const manifest = JSON.parse(await object.Body!.transformToString());
      return { id: deployment.id as string, host: done.url as string, manifest, deployment: done };
    },
    close: () => platform.close(),
  };
}

export interface EdgeReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  json<T = any>(): T;
}

/** One request to the local edge for `host`, as a browser would send it (any method, a body). */
export function request(edge: string, host: string, target: string, init: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<EdgeReply> {
  const url = new URL(target, edge);
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: init.method ?? 'GET', headers: { host, ...init.headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body) });
      });
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

/** The text of the element with `id` in an HTML page (framework comment markers removed). */
export function textOf(html: string, id: string): string | undefined {
  const match = new RegExp(`id="${id}"[^>]*>([\\s\\S]*?)</`).exec(html);
  return match?.[1]?.replace(/<!--[\s\S]*?-->/g, '');
}

/** The deployment's function log lines (GET /v1/deployments/{id}/logs), oldest first: for failure messages. */
export async function functionLog(c: Client, deploymentId: string): Promise<string> {
  const res = await c.get(`/v1/deployments/${deploymentId}/logs?limit=200`);
  if (res.status !== 200) return `(logs: ${res.status} ${JSON.stringify(res.body)})`;
  return (res.body.items as Array<{ function: string; level: string; message: string }>).map((i) => `${i.function} ${i.level}: ${i.message}`).join('\n');
}

/**
 * One deployment of `fixture` for a whole test file: the platform starts and the fixture deploys in
 * `beforeAll`, the platform stops in `afterAll`. Read `session` and `app` inside tests.
 */
export function deployedFixture(fixture: string, env: Record<string, { value: string; sensitive?: boolean }> = {}): { readonly session: FrameworkSession; readonly app: Deployed } {
  const state: { session?: FrameworkSession; app?: Deployed } = {};
  beforeAll(async () => {
    state.session = await frameworkSession();
    state.app = await state.session.deploy(fixture, env);
  }, 600_000);
  afterAll(() => state.session?.close());
  return {
    get session() {
      return state.session!;
    },
    get app() {
      return state.app!;
    },
  };
}
