import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pLimit from 'p-limit';
import { unpackFile } from './archive.ts';
import type { SourceFile } from './job.ts';
import { assertSafeRelativePath } from './paths.ts';

/** Downloaded bytes do not match the digest the job promised. */
export class IntegrityError extends Error {
  override name = 'IntegrityError';
}

/**
 * Streams `body` into `dest` while hashing it, and fails (removing `dest`) unless the sha256 and,
 * when given, the size match.
 */
export async function writeVerified(body: Readable, dest: string, expected: { sha: string; size?: number }): Promise<void> {
  const hash = createHash('sha256');
  let size = 0;
  await pipeline(
    body,
    async function* (source: AsyncIterable<Buffer>) {
      for await (const chunk of source) {
        hash.update(chunk);
        size += chunk.length;
        yield chunk;
      }
    },
    createWriteStream(dest, { flags: 'wx' }),
  );
  const sha = hash.digest('hex');
  if (sha !== expected.sha || (expected.size !== undefined && size !== expected.size)) {
    await rm(dest, { force: true });
    throw new IntegrityError(
      `${path.basename(dest)}: expected sha256 ${expected.sha}${expected.size === undefined ? '' : ` (${expected.size} bytes)`}, got ${sha} (${size} bytes)`,
    );
  }
}

/**
 * Writes each listed file into `dir`, fetching its bytes by sha. Paths are validated again
 * (the job schema did too) because this is where they touch the disk.
 */
export async function materializeFiles(
  files: readonly SourceFile[],
  dir: string,
  open: (sha: string) => Promise<Readable>,
  concurrency = 16,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  const limit = pLimit(concurrency);
  await Promise.all(
    files.map((file) =>
      limit(async () => {
        const dest = path.join(dir, assertSafeRelativePath(file.file, 'source file'));
        await mkdir(path.dirname(dest), { recursive: true });
        await writeVerified(await open(file.sha), dest, { sha: file.sha, size: file.size });
      }),
    ),
  );
}

/**
 * Saves a tarball next to `dir`, verifies it (when its sha256 is known), and unpacks it with its single top-level directory
 * stripped (the shape of GitHub's repository tarballs).
 */
export async function extractTarball(body: Readable, dir: string, sha: string | undefined): Promise<void> {
  const archive = `${dir}.source.tar.gz`;
  try {
    // A git tarball has no digest known in advance: the commit sha in its URL and TLS vouch for it.
    if (sha === undefined) await pipeline(body, createWriteStream(archive, { flags: 'wx' }));
    else await writeVerified(body, archive, { sha });
    await unpackFile(archive, dir, { strip: 1 });
  } finally {
    await rm(archive, { force: true });
  }
}
