import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An in-memory implementation of the upload endpoint contract (see adapters/http-store.ts),
 * for tests: `{base}/missing`, `/blobs/{sha}`, `/manifest` (a URL under `/presigned/`), `/source/{sha}`, `/cache/{key}`.
 */
export interface UploadServer {
  baseUrl: string;
  token: string;
  blobs: Map<string, Buffer>;
  sources: Map<string, Buffer>;
  caches: Map<string, Buffer>;
  /** Served at `/tarballs/{name}` without auth, like a third-party tarball URL. */
  tarballs: Map<string, Buffer>;
  origin: string;
  manifests: unknown[];
  /** Every request as `METHOD path auth-header-or-"-"`. */
  requests: string[];
  /** Answer the next n requests with 503. */
  failNext: number;
  /** Serve blob and cache PUTs through a 307 to `/presigned/...` (which must not see the token). */
  redirectUploads: boolean;
  close(): Promise<void>;
}

export async function startUploadServer(token = 'tok_test_capability_0123456789'): Promise<UploadServer> {
  const state = {
    blobs: new Map<string, Buffer>(),
    sources: new Map<string, Buffer>(),
    caches: new Map<string, Buffer>(),
    tarballs: new Map<string, Buffer>(),
    manifests: [] as unknown[],
    requests: [] as string[],
    failNext: 0,
    redirectUploads: false,
    origin: '',
  };
  const prefix = '/v1/deployments/dpl_1/upload';

  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', 'http://x');
    state.requests.push(`${req.method} ${url.pathname} ${req.headers.authorization ?? '-'}`);
    const send = (status: number, payload?: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { ...(payload === undefined ? {} : { 'content-type': 'application/json' }), ...headers });
      res.end(payload === undefined ? undefined : Buffer.isBuffer(payload) ? payload : JSON.stringify(payload));
    };
    if (state.failNext > 0) {
      state.failNext--;
      return send(503, { message: 'try again' });
    }
    if (url.pathname.startsWith('/presigned/')) {
      if (req.headers.authorization !== undefined) return send(400, { message: 'token leaked to presigned URL' });
      const [, , kind, key] = url.pathname.split('/');
      if (kind === 'blobs' && key) state.blobs.set(key, body);
      if (kind === 'cache' && key) state.caches.set(decodeURIComponent(key), body);
      if (kind === 'manifest') {
        // As S3 does for a presigned PUT with a signed checksum and If-None-Match: *.
        const digest = createHash('sha256').update(body).digest('base64');
        if (req.headers['x-amz-checksum-sha256'] !== digest) return send(400, { message: 'BadDigest' });
        if (req.headers['if-none-match'] === '*' && state.manifests.length > 0) return send(412);
        state.manifests.push(JSON.parse(body.toString()));
      }
      return send(200);
    }
    if (url.pathname.startsWith('/tarballs/')) {
      if (req.headers.authorization !== undefined) return send(400, { message: 'token leaked to tarball URL' });
      const bytes = state.tarballs.get(url.pathname.slice('/tarballs/'.length));
      return bytes === undefined ? send(404) : send(200, bytes);
    }
    if (!url.pathname.startsWith(`${prefix}/`)) return send(404);
    if (req.headers.authorization !== `Bearer ${token}`) return send(401, { message: 'bad token' });
    const [kind, key] = url.pathname.slice(prefix.length + 1).split('/');

    if (req.method === 'POST' && kind === 'missing') {
      const { shas } = JSON.parse(body.toString()) as { shas: string[] };
      return send(200, { missing: shas.filter((s) => !state.blobs.has(s)) });
    }
    if (req.method === 'PUT' && kind === 'blobs' && key) {
      if (state.redirectUploads) return send(307, undefined, { location: `/presigned/blobs/${key}?X-Amz-Signature=abc` });
      const digest = createHash('sha256').update(body).digest('hex');
      if (req.headers['x-runway-digest'] !== `sha256=${key}` || digest !== key) return send(400, { message: 'digest mismatch' });
      if (Number(req.headers['content-length']) !== body.length) return send(400, { message: 'length mismatch' });
      state.blobs.set(key, body);
      return send(201);
    }
    if (req.method === 'POST' && kind === 'manifest') {
      const { sha256 } = JSON.parse(body.toString()) as { sha256: string };
      const checksum = Buffer.from(sha256, 'hex').toString('base64');
      return send(200, { url: `${state.origin}/presigned/manifest/dpl_1?X-Amz-Signature=abc`, headers: { 'x-amz-checksum-sha256': checksum, 'if-none-match': '*' } });
    }
    if (req.method === 'GET' && kind === 'source' && key) {
      const bytes = state.sources.get(key);
      return bytes === undefined ? send(404) : send(200, bytes);
    }
    if (kind === 'cache' && key) {
      const name = decodeURIComponent(key);
      if (req.method === 'GET') {
        const bytes = state.caches.get(name);
        return bytes === undefined ? send(404) : send(200, bytes);
      }
      if (req.method === 'PUT') {
        if (state.redirectUploads) return send(307, undefined, { location: `/presigned/cache/${key}` });
        state.caches.set(name, body);
        return send(204);
      }
    }
    return send(404);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const api: UploadServer = Object.assign(state, {
    baseUrl: `http://127.0.0.1:${port}${prefix}`,
    origin: `http://127.0.0.1:${port}`,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
  return api;
}
