import { randomBytes } from 'node:crypto';
import { HeadObjectCommand, NotFound } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { s3Client } from '../../../functions/src/adapters/aws/clients.ts';
import { uploadKey } from '../../../functions/src/core/artifact-keys.ts';
import { UPLOAD_CORS } from '../../../functions/src/handlers/http/cors.ts';
import { MAX_BINARY_BODY_BYTES } from '../../../functions/src/lib/limits.ts';
import { type Api, client, type Client, newTeam, sha256, startApi, teamBlobs, uniqueName } from './harness.ts';

/**
 * Uploads as AWS takes them: a file above what a Lambda invoke carries (6 MB after base64) is
 * refused by the gateway, as in AWS, and goes straight to S3 instead through presigned URLs; the
 * completion step proves size and sha256 before the bytes become a blob (the emulator, unlike
 * S3, checks neither on a presigned PUT).
 */
let api: Api;
beforeAll(async () => {
  api = await startApi();
});
afterAll(() => api.close());

const FIVE_MB = 5 * 1024 * 1024;

async function member(): Promise<{ c: Client; teamId: string; token: string }> {
  const team = await newTeam();
  return { c: client(api, team.tokens.member), teamId: team.id, token: team.tokens.member };
}

function postFile(token: string, bytes: Buffer) {
  return fetch(`${api.base}/v1/files`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream', 'x-runway-digest': `sha256=${sha256(bytes)}` },
    body: new Uint8Array(bytes),
  });
}

async function stagedExists(teamId: string, sha: string): Promise<boolean> {
  try {
    await s3Client().send(new HeadObjectCommand({ Bucket: process.env.RUNWAY_ARTIFACT_BUCKET, Key: uploadKey(teamId, sha) }));
    return true;
  } catch (error) {
    if (error instanceof NotFound) return false;
    throw error;
  }
}

describe('POST /v1/files is for small files only', () => {
  test('a 5 MB file is refused as AWS refuses it (413: its base64 event exceeds the 6 MB invoke payload) and stores nothing', async () => {
    const { token, teamId } = await member();
    const res = await postFile(token, randomBytes(FIVE_MB));
    expect([res.status, await res.json()]).toEqual([413, { message: 'Request Too Long' }]);
    expect(await teamBlobs(teamId)).toEqual([]);
  });

  test('a file just above the 4 MiB route limit reaches the handler and gets 413 payload_too_large', async () => {
    const { token, teamId } = await member();
    const res = await postFile(token, randomBytes(MAX_BINARY_BODY_BYTES + 100 * 1024));
    expect(res.status).toBe(413);
    expect((await res.json()).error).toMatchObject({ code: 'payload_too_large', limit: MAX_BINARY_BODY_BYTES });
    expect(await teamBlobs(teamId)).toEqual([]);
  });
});

describe('direct uploads to storage', () => {
  test('a 5 MB file deploys: upload URL, PUT straight to S3, complete, deploy', async () => {
    const { c, teamId } = await member();
    const { body: project } = await c.post('/v1/projects', { name: uniqueName('big') });
    const bytes = randomBytes(FIVE_MB);
    const file = { sha: sha256(bytes), size: bytes.length };
    const deploy = { project: project.name, target: 'preview', files: [{ file: 'video.bin', ...file }] };

    const first = await c.post('/v1/deployments', deploy);
    expect([first.status, first.body.error.code, first.body.error.missing]).toEqual([400, 'missing_files', [file.sha]]);

    const { status, body } = await c.post('/v1/files/uploads', { files: [file] });
    expect(status).toBe(200);
    const [upload] = body.uploads;
    expect(upload).toMatchObject({ ...file, method: 'PUT', headers: { 'x-amz-checksum-sha256': Buffer.from(file.sha, 'hex').toString('base64') } });
    expect(new URL(upload.url).searchParams.get('X-Amz-SignedHeaders')).toBe('content-length;host;x-amz-checksum-sha256');
    expect((await fetch(upload.url, { method: 'PUT', headers: upload.headers, body: new Uint8Array(bytes) })).status).toBe(200);

    const done = await c.post('/v1/files/uploads/complete', { files: [file] });
    expect([done.status, done.body]).toEqual([200, { files: [file] }]);
    expect(await teamBlobs(teamId)).toEqual([`blobs/${teamId}/${file.sha}`]);
    expect(await stagedExists(teamId, file.sha)).toBe(false);

    const created = await c.post('/v1/deployments', deploy);
    expect([created.status, created.body.state]).toEqual([201, 'QUEUED']);
  });

  test('upload URLs are handed out only for files the team lacks', async () => {
    const { c } = await member();
    const held = Buffer.from(`held ${uniqueName('x')}`);
    await c.request('POST', '/v1/files', { raw: held, headers: { 'content-type': 'application/octet-stream', 'x-runway-digest': `sha256=${sha256(held)}` } });
    const lacking = Buffer.from(`new ${uniqueName('x')}`);
    const { body } = await c.post('/v1/files/uploads', { files: [{ sha: sha256(held), size: held.length }, { sha: sha256(lacking), size: lacking.length }] });
    expect(body.uploads.map((u: { sha: string }) => u.sha)).toEqual([sha256(lacking)]);
  });

  test('bytes that do not hash to the sha are refused at completion and deleted (S3 would refuse the PUT itself)', async () => {
    const { c, teamId } = await member();
    const claimed = Buffer.from(`claimed ${uniqueName('x')}`);
    const file = { sha: sha256(claimed), size: claimed.length };
    const { body } = await c.post('/v1/files/uploads', { files: [file] });
    const forged = Buffer.alloc(claimed.length, 0x41);
    // The emulator stores it anyway: it verifies neither the signature nor the checksum.
    expect((await fetch(body.uploads[0].url, { method: 'PUT', headers: body.uploads[0].headers, body: new Uint8Array(forged) })).status).toBe(200);
    const done = await c.post('/v1/files/uploads/complete', { files: [file] });
    expect([done.status, done.body.error.code, done.body.error.sha]).toEqual([400, 'digest_mismatch', file.sha]);
    expect(await teamBlobs(teamId)).toEqual([]);
    expect(await stagedExists(teamId, file.sha)).toBe(false);
  });

  test('an upload of another size is refused at completion, and completing before uploading is upload_missing', async () => {
    const { c, teamId } = await member();
    const bytes = Buffer.from(`sized ${uniqueName('x')}`);
    const file = { sha: sha256(bytes), size: bytes.length };
    const { body } = await c.post('/v1/files/uploads', { files: [file] });
    expect((await c.post('/v1/files/uploads/complete', { files: [file] })).body.error.code).toBe('upload_missing');
    await fetch(body.uploads[0].url, { method: 'PUT', headers: body.uploads[0].headers, body: new Uint8Array(Buffer.concat([bytes, Buffer.from('!')])) });
    const done = await c.post('/v1/files/uploads/complete', { files: [file] });
    expect([done.status, done.body.error.code]).toEqual([400, 'size_mismatch']);
    expect(await teamBlobs(teamId)).toEqual([]);
  });

  test('a batch is 1-100 distinct files of at most 10 MB, and a viewer cannot upload', async () => {
    const team = await newTeam();
    const c = client(api, team.tokens.member);
    const sha = sha256('x');
    for (const files of [[], Array.from({ length: 101 }, (_, i) => ({ sha: sha256(String(i)), size: 1 })), [{ sha, size: 1 }, { sha, size: 1 }], [{ sha, size: 10 * 1024 * 1024 + 1 }]]) {
      expect((await c.post('/v1/files/uploads', { files })).status, JSON.stringify(files).slice(0, 80)).toBe(400);
    }
    expect((await client(api, team.tokens.viewer).post('/v1/files/uploads', { files: [{ sha, size: 1 }] })).status).toBe(403);
  });

  test("a browser on the console's origin may PUT to an upload URL (the bucket's CORS, applied from the state template)", async () => {
    const { c } = await member();
    const bytes = Buffer.from(`cors ${uniqueName('x')}`);
    const { body } = await c.post('/v1/files/uploads', { files: [{ sha: sha256(bytes), size: bytes.length }] });
    const res = await fetch(body.uploads[0].url, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:4002', 'access-control-request-method': 'PUT', 'access-control-request-headers': UPLOAD_CORS.allowedHeaders.join(',') },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:4002');
    expect(res.headers.get('access-control-allow-methods')).toBe('PUT');
  });
});
