import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import * as BuildApi from '../../../functions/src/core/build/build-api.ts';
import type { DeploymentInfo } from '../../../functions/src/core/deployment/index.ts';
import { ValidationError } from '../../../functions/src/core/errors.ts';
import { Files } from '../../../functions/src/core/files/index.ts';
import { useMemoryContext, type MemoryContext } from '../../support/memory-context.ts';

/**
 * Direct uploads and the build's manifest upload, decided in the domain on in-memory adapters: what
 * gets an upload URL, and what a finished upload must prove before it becomes the team's blob.
 */
let ctx: MemoryContext;
beforeEach(() => {
  ctx = useMemoryContext();
});
afterEach(() => ctx.restore());

const teamId = 'team_aaaaaaaaaaaaaaaa';
const sha = (text: string) => createHash('sha256').update(text).digest('hex');
const file = (text: string) => ({ sha: sha(text), size: Buffer.byteLength(text) });
const staged = (text: string) => `uploads/${teamId}/${sha(text)}`;
const blob = (text: string) => `blobs/${teamId}/${sha(text)}`;

/** Uploads as the client would: URLs, then a PUT of `sent[i]` to each. */
async function uploadAll(files: Array<{ sha: string; size: number }>, sent: string[]): Promise<void> {
  const { uploads } = await Files.createUploads(teamId, { files });
  uploads.forEach((u, i) => ctx.artifacts.putDirect(u.url, sent[i]!));
}

async function refusal(promise: Promise<unknown>): Promise<{ code: string; details: Record<string, unknown> }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ValidationError);
  return error as ValidationError;
}

describe('upload URLs', () => {
  test('only files the team lacks get one: a PUT to their staging key, signed with size and sha256', async () => {
    await ctx.blobs.put(teamId, sha('held'), Buffer.from('held'));
    const { uploads } = await Files.createUploads(teamId, { files: [file('held'), file('new')] });
    expect(uploads).toEqual([
      {
        ...file('new'),
        method: 'PUT',
        url: `memory://put/${staged('new')}`,
        headers: { 'content-type': 'application/octet-stream', 'x-amz-checksum-sha256': Buffer.from(sha('new'), 'hex').toString('base64') },
      },
    ]);
  });
});

describe('completing uploads', () => {
  test('bytes of the announced size and sha256 become the team blob, and the staged copy is deleted', async () => {
    await uploadAll([file('one'), file('two')], ['one', 'two']);
    expect(await Files.completeUploads(teamId, { files: [file('one'), file('two')] })).toEqual({ files: [file('one'), file('two')] });
    expect(ctx.artifacts.objects.get(blob('one'))?.text).toBe('one');
    expect(ctx.artifacts.objects.get(blob('two'))?.text).toBe('two');
    expect([...ctx.artifacts.objects.keys()].filter((k) => k.startsWith('uploads/'))).toEqual([]);
  });

  test("a checksum storage verified on upload is trusted without reading the bytes; storage that kept none has them hashed", async () => {
    const digest = vi.spyOn(ctx.artifacts, 'digest');
    const { uploads } = await Files.createUploads(teamId, { files: [file('checked')] });
    ctx.artifacts.putDirect(uploads[0]!.url, 'checked', { sha256Hex: sha('checked') });
    await Files.completeUploads(teamId, { files: [file('checked')] });
    expect(digest).not.toHaveBeenCalled();

    await uploadAll([file('unchecked')], ['unchecked']);
    await Files.completeUploads(teamId, { files: [file('unchecked')] });
    expect(digest).toHaveBeenCalledWith(staged('unchecked'));
    expect(ctx.artifacts.objects.has(blob('unchecked'))).toBe(true);
  });

  test('bytes that do not hash to the sha are refused (digest_mismatch), discarded, and never become a blob', async () => {
    // Same length, other bytes: only the hash can tell.
    await uploadAll([file('claimed')], ['claimes']);
    const error = await refusal(Files.completeUploads(teamId, { files: [file('claimed')] }));
    expect([error.code, error.details]).toEqual(['digest_mismatch', { sha: sha('claimed') }]);
    expect(ctx.artifacts.objects.has(blob('claimed'))).toBe(false);
    expect(ctx.artifacts.objects.has(staged('claimed'))).toBe(false);
  });

  test('a storage checksum that differs is refused too, even when the size matches', async () => {
    const { uploads } = await Files.createUploads(teamId, { files: [file('abc')] });
    ctx.artifacts.putDirect(uploads[0]!.url, 'abc', { sha256Hex: sha('xyz') });
    expect((await refusal(Files.completeUploads(teamId, { files: [file('abc')] }))).code).toBe('digest_mismatch');
    expect(ctx.artifacts.objects.has(blob('abc'))).toBe(false);
  });

  test('an upload of another size is refused (size_mismatch) and discarded', async () => {
    await uploadAll([file('sized')], ['sized, and more']);
    const error = await refusal(Files.completeUploads(teamId, { files: [file('sized')] }));
    expect([error.code, error.details]).toEqual(['size_mismatch', { sha: sha('sized') }]);
    expect(ctx.artifacts.objects.has(staged('sized'))).toBe(false);
    expect(ctx.artifacts.objects.has(blob('sized'))).toBe(false);
  });

  test('completing what was never uploaded is upload_missing; completing again after success is done', async () => {
    expect((await refusal(Files.completeUploads(teamId, { files: [file('nothing')] }))).code).toBe('upload_missing');
    await uploadAll([file('twice')], ['twice']);
    await Files.completeUploads(teamId, { files: [file('twice')] });
    // A client whose first answer was lost retries: the blob is there, nothing staged.
    expect(await Files.completeUploads(teamId, { files: [file('twice')] })).toEqual({ files: [file('twice')] });
  });

  test('one bad file fails the batch with its sha; the good files of the batch are stored', async () => {
    await uploadAll([file('good'), file('bad')], ['good', 'bad, longer']);
    const error = await refusal(Files.completeUploads(teamId, { files: [file('good'), file('bad')] }));
    expect([error.code, error.details.sha]).toEqual(['size_mismatch', sha('bad')]);
    expect(ctx.artifacts.objects.has(blob('good'))).toBe(true);
  });
});

describe("the build's manifest upload", () => {
  test("is a write-once presigned PUT of the deployment's manifest key, signed with its size and sha256", async () => {
    const deployment = { id: 'dpl_abcdefghi', teamId, projectId: 'prj_x' } as DeploymentInfo;
    const put = await BuildApi.manifestUpload(deployment, { sha256: sha('{}'), size: 2 });
    expect(put).toEqual({
      url: 'memory://put/manifests/dpl_abcdefghi.json',
      headers: { 'content-type': 'application/json', 'x-amz-checksum-sha256': Buffer.from(sha('{}'), 'hex').toString('base64'), 'if-none-match': '*' },
    });
  });
});
