import { createHash, randomUUID } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import type { ArtifactStore, BlobStore, EdgeStore, PresignedPut } from '../../functions/src/core/ports.ts';

/**
 * Contract tests of the ports: every implementation (in-memory fakes in the unit project, the
 * S3/emulator adapters in the integration project) runs the same cases.
 */
export function edgeStoreContract(name: string, make: () => EdgeStore): void {
  describe(`EdgeStore contract: ${name}`, () => {
    const host = () => `c-${randomUUID().slice(0, 8)}.localhost`;

    test('get of an unknown host is undefined', async () => {
      expect(await make().get(host())).toBeUndefined();
    });

    test('put then get returns the value; a second put replaces it', async () => {
      const store = make();
      const h = host();
      await store.put(h, 'dpl_aaaaaaaaa');
      expect(await store.get(h)).toBe('dpl_aaaaaaaaa');
      await store.put(h, 'dpl_bbbbbbbbb cfg1');
      expect(await store.get(h)).toBe('dpl_bbbbbbbbb cfg1');
    });

    test('delete removes the host, and deleting again is no error', async () => {
      const store = make();
      const h = host();
      await store.put(h, 'dpl_aaaaaaaaa');
      await store.delete(h);
      expect(await store.get(h)).toBeUndefined();
      await expect(store.delete(h)).resolves.toBeUndefined();
    });

    test('list pages through every key, hosts and configs alike, until no next is given; a deleted key is no longer listed', async () => {
      const store = make();
      const run = randomUUID().slice(0, 8);
      const keys = [...Array.from({ length: 55 }, (_, i) => `l${run}-${i}.localhost`), `c:${run}abcd`];
      for (const key of keys) await store.put(key, 'dpl_aaaaaaaaa');
      await store.delete(keys[0]!);
      const listed: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await store.list(cursor);
        listed.push(...page.keys);
        cursor = page.next;
        pages++;
      } while (cursor && pages < 1000);
      expect(cursor).toBeUndefined();
      const ours = listed.filter((k) => k.includes(run));
      expect(ours.sort()).toEqual(keys.slice(1).sort());
    });
  });
}

export function blobStoreContract(name: string, make: () => BlobStore): void {
  describe(`BlobStore contract: ${name}`, () => {
    const team = () => `team_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
    const blob = (text: string) => {
      const bytes = Buffer.from(text);
      return { bytes, sha: createHash('sha256').update(bytes).digest('hex') };
    };

    test('missing lists the shas the team lacks, once each, in input order', async () => {
      const store = make();
      const t = team();
      const a = blob(`a ${randomUUID()}`);
      const b = blob(`b ${randomUUID()}`);
      const c = blob(`c ${randomUUID()}`);
      await store.put(t, b.sha, b.bytes);
      expect(await store.missing(t, [c.sha, a.sha, b.sha, c.sha])).toEqual([c.sha, a.sha]);
    });

    test('put then get returns the same bytes', async () => {
      const store = make();
      const t = team();
      const a = blob(`bytes ${randomUUID()}`);
      await store.put(t, a.sha, a.bytes);
      expect((await store.get(t, a.sha))?.equals(a.bytes)).toBe(true);
    });

    test("a team never sees another team's blob", async () => {
      const store = make();
      const [t1, t2] = [team(), team()];
      const a = blob(`private ${randomUUID()}`);
      await store.put(t1, a.sha, a.bytes);
      expect(await store.missing(t2, [a.sha])).toEqual([a.sha]);
      expect(await store.get(t2, a.sha)).toBeUndefined();
    });
  });
}

/** An ArtifactStore under test, with how a client PUTs to one of its presigned URLs. */
export interface ArtifactStoreUnderTest {
  store: ArtifactStore;
  /** Sends `bytes` as a client would: a PUT of `put.url` with exactly `put.headers`. */
  upload(put: PresignedPut, bytes: Buffer): Promise<void>;
}

export function artifactStoreContract(name: string, make: () => ArtifactStoreUnderTest): void {
  describe(`ArtifactStore contract: ${name}`, () => {
    const key = (prefix: string) => `${prefix}/contract-${randomUUID()}`;
    const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

    test('an unknown key: exists is false, head, digest and getText are undefined, delete is no error', async () => {
      const { store } = make();
      const k = key('uploads');
      expect(await store.exists(k)).toBe(false);
      expect(await store.head(k)).toBeUndefined();
      expect(await store.digest(k)).toBeUndefined();
      expect(await store.getText(k)).toBeUndefined();
      await expect(store.delete(k)).resolves.toBeUndefined();
    });

    test('a presigned PUT names the headers to send: the sha256 (base64), the content type and write-once', async () => {
      const { store } = make();
      const sha = sha256(Buffer.from('x'));
      const put = await store.presignPut(key('manifests'), { sha256Hex: sha, size: 1, contentType: 'application/json', ifNoneMatch: true });
      expect(put.url).toMatch(/^[a-z]+:\/\//);
      expect(put.headers).toEqual({ 'content-type': 'application/json', 'x-amz-checksum-sha256': Buffer.from(sha, 'hex').toString('base64'), 'if-none-match': '*' });
      expect((await store.presignPut(key('cache'))).headers).toEqual({});
    });

    test('what a client PUT to a presigned URL is there: its size, its sha256 (from storage or by reading it) and its text', async () => {
      const { store, upload } = make();
      const k = key('uploads');
      const bytes = Buffer.from(`contract bytes ${randomUUID()}`);
      await upload(await store.presignPut(k, { sha256Hex: sha256(bytes), size: bytes.length, contentType: 'application/octet-stream' }), bytes);
      expect(await store.exists(k)).toBe(true);
      const head = await store.head(k);
      expect(head?.size).toBe(bytes.length);
      // Storage that verified the checksum reports it; storage that kept none reports undefined.
      expect([undefined, sha256(bytes)]).toContain(head?.sha256Hex);
      expect(await store.digest(k)).toBe(sha256(bytes));
      expect(await store.getText(k)).toBe(bytes.toString('utf8'));
    });

    test('putText stores the text under its key, replacing what was there', async () => {
      const { store } = make();
      const at = key('routes');
      await store.putText(at, '{"a":1}', 'application/json');
      await store.putText(at, '{"a":2}', 'application/json');
      expect(await store.getText(at)).toBe('{"a":2}');
    });

    test('copy makes a second object with the same bytes; delete removes only the one named', async () => {
      const { store, upload } = make();
      const [from, to] = [key('uploads'), key('blobs')];
      const bytes = Buffer.from(`copied ${randomUUID()}`);
      await upload(await store.presignPut(from, { sha256Hex: sha256(bytes), size: bytes.length }), bytes);
      await store.copy(from, to, { contentType: 'application/octet-stream' });
      expect(await store.digest(to)).toBe(sha256(bytes));
      await store.delete(from);
      expect(await store.exists(from)).toBe(false);
      expect(await store.getText(to)).toBe(bytes.toString('utf8'));
    });
  });
}
