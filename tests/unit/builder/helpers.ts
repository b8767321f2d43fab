import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

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
