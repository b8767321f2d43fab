import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { expect, test } from 'vitest';
import { S3BlobStore } from '../../../functions/src/adapters/blob-store/s3.ts';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

test('missing() of a large request lists the team prefix and agrees with per-blob checks', async () => {
  const store = new S3BlobStore();
  const team = `team_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  const held = await Promise.all(
    Array.from({ length: 3 }, async () => {
      const bytes = randomBytes(64);
      await store.put(team, sha(bytes), bytes);
      return sha(bytes);
    }),
  );
  const absent = Array.from({ length: 297 }, () => sha(randomBytes(16)));
  const asked = [...absent.slice(0, 150), ...held, ...absent.slice(150)];
  expect(await store.missing(team, asked)).toEqual(absent);
  // A small request takes the HEAD path and gives the same answer.
  expect(await store.missing(team, [held[0]!, absent[0]!])).toEqual([absent[0]]);
  // Another team holds none of these.
  expect(await store.missing(`${team}x`, held)).toEqual(held);
});
