import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { create } from 'tar';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HttpStatusError, HttpStore } from '../../../functions/src/builder/adapters/http-store.ts';
import type { Manifest } from '../../../functions/src/builder/manifest.ts';
import { tempDir, writeTree } from './helpers.ts';
import { startUploadServer, type UploadServer } from './upload-server.ts';

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

describe('HttpStore against the upload endpoint contract (loopback server)', () => {
  let server: UploadServer;
  let store: HttpStore;
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    server = await startUploadServer();
    ({ dir, cleanup } = await tempDir());
    store = new HttpStore({ baseUrl: server.baseUrl, token: server.token, tmpDir: dir, backoff: { minMs: 1, factor: 1 } });
  });
  afterEach(async () => {
    await server.close();
    await cleanup();
  });

  it('asks for missing blobs, deduplicated, and uploads with digest and length', async () => {
    await writeTree(dir, { 'a.txt': 'alpha', 'b.txt': 'beta' });
    server.blobs.set(sha256('beta'), Buffer.from('beta'));
    expect(await store.missing([sha256('alpha'), sha256('beta'), sha256('alpha')])).toEqual([sha256('alpha')]);
    await store.put(sha256('alpha'), path.join(dir, 'a.txt'), 5);
    expect(server.blobs.get(sha256('alpha'))?.toString()).toBe('alpha');
    expect(server.requests.every((r) => r.endsWith(`Bearer ${server.token}`))).toBe(true);
  });

  it('batches missing queries by 1000', async () => {
    const shas = Array.from({ length: 2500 }, (_, i) => sha256(String(i)));
    expect(await store.missing(shas)).toHaveLength(2500);
    expect(server.requests.filter((r) => r.startsWith('POST'))).toHaveLength(3);
  });

  it('writes the manifest as JSON straight to its presigned URL, with its checksum and without the token', async () => {
    const manifest: Manifest = { version: 1, deploymentId: 'dpl_1', framework: 'static', createdAt: '2026-01-01T00:00:00.000Z', files: {} };
    await store.putManifest('dpl_1', manifest);
    expect(server.manifests).toEqual([manifest]);
    expect(server.requests.slice(-2)).toEqual([`POST /v1/deployments/dpl_1/upload/manifest Bearer ${server.token}`, 'PUT /presigned/manifest/dpl_1 -']);
  });

  it('takes a manifest that is already written (412 on a retry after a lost response) as done', async () => {
    const manifest: Manifest = { version: 1, deploymentId: 'dpl_1', framework: 'static', createdAt: '2026-01-01T00:00:00.000Z', files: {} };
    await store.putManifest('dpl_1', manifest);
    await expect(store.putManifest('dpl_1', manifest)).resolves.toBeUndefined();
    expect(server.manifests).toHaveLength(1);
  });

  it('follows a redirect for uploads without sending the token there', async () => {
    server.redirectUploads = true;
    await writeTree(dir, { 'a.txt': 'alpha' });
    await store.put(sha256('alpha'), path.join(dir, 'a.txt'), 5);
    expect(server.blobs.get(sha256('alpha'))?.toString()).toBe('alpha');
    expect(server.requests.at(-1)).toBe(`PUT /presigned/blobs/${sha256('alpha')} -`);
  });

  it('retries 5xx and then succeeds', async () => {
    server.failNext = 2;
    expect(await store.missing([sha256('x')])).toEqual([sha256('x')]);
    expect(server.requests).toHaveLength(3);
  });

  it('does not retry a rejected token', async () => {
    const bad = new HttpStore({ baseUrl: server.baseUrl, token: 'wrong-token-0123456789', backoff: { minMs: 1, factor: 1 } });
    const error = await bad.missing([sha256('x')]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpStatusError);
    expect(error).toMatchObject({ status: 401 });
    expect(server.requests).toHaveLength(1);
  });

  it('materializes uploaded source files and verifies them', async () => {
    server.sources.set(sha256('<h1>hi</h1>'), Buffer.from('<h1>hi</h1>'));
    const out = path.join(dir, 'src');
    await store.materialize({ type: 'files', files: [{ file: 'pages/index.html', sha: sha256('<h1>hi</h1>'), size: 11 }] }, out);
    expect(await readFile(path.join(out, 'pages/index.html'), 'utf8')).toBe('<h1>hi</h1>');

    server.sources.set(sha256('other'), Buffer.from('tampered'));
    await expect(store.materialize({ type: 'files', files: [{ file: 'x', sha: sha256('other'), size: 5 }] }, path.join(dir, 'src2'))).rejects.toThrow(/expected sha256/);
  });

  it('downloads a tarball source without the token, verifies it and strips the top directory', async () => {
    await writeTree(path.join(dir, 'tar-src'), { 'owner-repo-abc123/index.html': '<h1>tar</h1>', 'owner-repo-abc123/css/a.css': 'a{}' });
    await create({ gzip: true, file: path.join(dir, 'src.tgz'), cwd: path.join(dir, 'tar-src') }, ['owner-repo-abc123']);
    const bytes = await readFile(path.join(dir, 'src.tgz'));
    server.tarballs.set('src.tgz', bytes);
    const out = path.join(dir, 'out');
    await store.materialize({ type: 'tarball', url: `${server.origin}/tarballs/src.tgz`, sha: sha256(bytes) }, out);
    expect(await readFile(path.join(out, 'index.html'), 'utf8')).toBe('<h1>tar</h1>');
    expect(await readFile(path.join(out, 'css/a.css'), 'utf8')).toBe('a{}');
    expect(server.requests).toEqual(['GET /tarballs/src.tgz -']);

    await expect(store.materialize({ type: 'tarball', url: `${server.origin}/tarballs/src.tgz`, sha: sha256('x') }, path.join(dir, 'out2'))).rejects.toThrow(/expected sha256/);
  });

  it('round-trips a cache directory, 404 meaning a miss', async () => {
    expect(await store.restore('k1', path.join(dir, 'nothing'))).toBe(false);
    await writeTree(path.join(dir, 'cache'), { 'pm/npm/_cacache/index': 'entries', 'fw/.astro/x': 'y' });
    server.redirectUploads = true;
    await store.save('k1', path.join(dir, 'cache'));
    server.redirectUploads = false;
    expect(await store.restore('k1', path.join(dir, 'restored'))).toBe(true);
    expect(await readFile(path.join(dir, 'restored', 'pm/npm/_cacache/index'), 'utf8')).toBe('entries');
    expect(await readFile(path.join(dir, 'restored', 'fw/.astro/x'), 'utf8')).toBe('y');
  });
});
