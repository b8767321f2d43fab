import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import yauzl from 'yauzl';

export const FIXTURES_DIR = fileURLToPath(new URL('../../fixtures/frameworks/', import.meta.url));

export function fixturePath(name: string): string {
  return path.join(FIXTURES_DIR, name);
}

/** A fresh temp dir; `cleanup` removes it. */
export async function tempDir(prefix = 'runway-builder-test-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Leftovers of a manual run in a fixture dir; never part of a fixture. */
const NOT_FIXTURE = new Set(['node_modules', 'dist', 'build', 'out', '_site', '.astro', '.next']);

/** Copies a fixture (without any node_modules or output left by a manual run) into `dest`. */
export async function copyFixture(name: string, dest: string): Promise<string> {
  const root = fixturePath(name);
  await cp(root, dest, {
    recursive: true,
    filter: (src) => !path.relative(root, src).split(path.sep).some((segment) => NOT_FIXTURE.has(segment)),
  });
  return dest;
}

/** Writes `files` (path → content) under `dir`. */
export async function writeTree(dir: string, files: Record<string, string>): Promise<void> {
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(dir, rel);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
  }
}

/** One entry of a zip as read back. */
export interface ZipEntryRead {
  name: string;
  bytes: Buffer;
  /** Unix permission bits. */
  mode: number;
  /** Last-modified time as stored: the DOS date and time fields (a wall-clock time, no zone). */
  dos: { date: number; time: number };
}

/** Every entry of a zip, in the zip's order, read with yauzl (another library than the builder's writer). */
export function readZip(file: string): Promise<ZipEntryRead[]> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (error, zip) => {
      if (error) return reject(error);
      const out: ZipEntryRead[] = [];
      zip.on('error', reject);
      zip.on('end', () => resolve(out));
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (streamError, stream) => {
          if (streamError) return reject(streamError);
          const chunks: Buffer[] = [];
          stream.on('data', (chunk: Buffer) => chunks.push(chunk));
          stream.on('error', reject);
          stream.on('end', () => {
            out.push({ name: entry.fileName, bytes: Buffer.concat(chunks), mode: (entry.externalFileAttributes >>> 16) & 0o777, dos: { date: entry.lastModFileDate, time: entry.lastModFileTime } });
            zip.readEntry();
          });
        });
      });
      zip.readEntry();
    });
  });
}
