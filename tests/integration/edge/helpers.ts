import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DeleteObjectsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { lookup } from 'mrmime';
import { EmulatorEdgeStore } from '../../../functions/src/adapters/edge-store/emulator.ts';
import { blobKey } from '../../../functions/src/core/artifact-keys.ts';
import type { Framework } from '../../../functions/src/core/build/contract.ts';
import { compileBuildOutputConfig, parseBuildOutputConfig } from '../../../functions/src/core/routing/config.ts';
import { buildDeploymentIndex, deploymentIndexKey } from '../../../functions/src/core/routing/deployment-index.ts';

/**
 * Helpers for the local-edge tests: seed deployments as finalize leaves them in the emulator (the
 * team's blobs and the deployment index `routes/<id>.json`) and KVS entries; request over HTTP.
 */

export const s3 = new S3Client({ forcePathStyle: true });
export const store = new EmulatorEdgeStore();
export const bucket = (): string => process.env.RUNWAY_ARTIFACT_BUCKET!;

/** A deployment id unique to this run (the edge accepts `[\w-]{1,64}`). */
export const deploymentId = (): string => `dpl_${randomBytes(6).toString('hex')}`;
/** A host unique to this run. */
export const hostname = (label: string): string => `${label}-${randomBytes(4).toString('hex')}.localhost`;

export interface SeedFile {
  body: string | Buffer;
  /** Content-Type in the index; omitted: by extension, application/octet-stream when unknown. */
  type?: string;
}

export interface SeedOptions {
  /** runway.json routing fields, compiled as finalize compiles them. */
  runwayJson?: unknown;
  vercelJson?: unknown;
  /** A framework's own `.vercel/output/config.json` (instead of runway/vercel.json). */
  buildOutput?: unknown;
  /** @default 'vite' (its `assets/` are content-hashed) */
  framework?: Framework;
}

/** Tracks what a test file wrote so `cleanup()` removes exactly that. */
export function seeder() {
  const keys: string[] = [];
  const hosts: string[] = [];
  const teamId = `team_${randomBytes(6).toString('hex')}`;
  return {
    teamId,
    /** Stores the files as the team's blobs and writes the deployment's index, as a READY build has. */
    async deployment(id: string, files: Record<string, SeedFile>, options: SeedOptions = {}): Promise<void> {
      const manifestFiles: Record<string, { sha: string; size: number; contentType: string }> = {};
      await Promise.all(
        Object.entries(files).map(([path, file]) => {
          const body = Buffer.from(file.body);
          const sha = createHash('sha256').update(body).digest('hex');
          manifestFiles[path] = { sha, size: body.length, contentType: file.type ?? lookup(path) ?? 'application/octet-stream' };
          const key = blobKey(teamId, sha);
          keys.push(key);
          return s3.send(new PutObjectCommand({ Bucket: bucket(), Key: key, Body: body, ContentType: 'application/octet-stream' }));
        }),
      );
      const config =
        options.buildOutput !== undefined
          ? parseBuildOutputConfig(options.buildOutput)
          : compileBuildOutputConfig({ runwayJson: options.runwayJson, vercelJson: options.vercelJson, files: Object.keys(files) });
      const index = buildDeploymentIndex({ deploymentId: id, teamId, manifest: { framework: options.framework ?? 'vite', files: manifestFiles }, config });
      keys.push(deploymentIndexKey(id));
      await s3.send(new PutObjectCommand({ Bucket: bucket(), Key: deploymentIndexKey(id), Body: JSON.stringify(index), ContentType: 'application/json' }));
    },
    /** Point `host` at `id`, as an alias write does. */
    async point(host: string, id: string): Promise<void> {
      hosts.push(host);
      await store.put(host, id);
    },
    async cleanup(): Promise<void> {
      await Promise.all([...new Set(hosts)].map((h) => store.delete(h)));
      for (let i = 0; i < keys.length; i += 1000) {
        await s3.send(new DeleteObjectsCommand({ Bucket: bucket(), Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })) } }));
      }
    },
  };
}

export interface EdgeResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** Listen on a free loopback port; returns the port and a close function. */
export async function listen(server: http.Server): Promise<{ port: number; close: () => Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * One request to 127.0.0.1 with the Host header set (Node does not resolve *.localhost). The path
 * goes out byte for byte: no URL normalization of "..", "%2e" or backslashes, unlike fetch().
 */
export function request(
  port: number,
  host: string,
  path: string,
  init: { method?: string; headers?: Record<string, string> } = {},
): Promise<EdgeResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path, method: init.method ?? 'GET', headers: { host, ...init.headers }, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}
