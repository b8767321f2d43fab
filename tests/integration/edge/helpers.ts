import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DeleteObjectsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { EmulatorEdgeStore } from '../../../functions/src/adapters/edge-store/emulator.ts';
import { compileRoutingConfig, type RunwayRoutingConfig } from '../../../functions/src/core/routing/config.ts';

/** Helpers for the local-edge tests: seed deployments and KVS entries in the emulator, request over HTTP. */

export const s3 = new S3Client({ forcePathStyle: true });
export const store = new EmulatorEdgeStore();
export const bucket = (): string => process.env.RUNWAY_ARTIFACT_BUCKET!;

/** A deployment id unique to this run (the edge accepts `[\w-]{1,64}`). */
export const deploymentId = (): string => `dpl_${randomBytes(6).toString('hex')}`;
/** A host unique to this run. */
export const hostname = (label: string): string => `${label}-${randomBytes(4).toString('hex')}.localhost`;

export interface SeedFile {
  body: string | Buffer;
  /** Stored Content-Type; omitted: none, as an upload without one. */
  type?: string;
}

/** Tracks what a test file wrote so `cleanup()` removes exactly that. */
export function seeder() {
  const keys: string[] = [];
  const hosts: string[] = [];
  return {
    async deployment(id: string, files: Record<string, SeedFile>): Promise<void> {
      await Promise.all(
        Object.entries(files).map(([path, file]) => {
          const key = `d/${id}/${path}`;
          keys.push(key);
          return s3.send(new PutObjectCommand({ Bucket: bucket(), Key: key, Body: file.body, ...(file.type ? { ContentType: file.type } : {}) }));
        }),
      );
    },
    /** Point `host` at `id`, with `config` compiled and stored first, as a READY build does. */
    async point(host: string, id: string, config?: RunwayRoutingConfig): Promise<void> {
      hosts.push(host);
      const { key, value } = compileRoutingConfig({ runwayJson: config });
      if (key && value) {
        hosts.push(`c:${key}`);
        await store.put(`c:${key}`, value);
        await store.put(host, `${id} ${key}`);
      } else {
        await store.put(host, id);
      }
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
