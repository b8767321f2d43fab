import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { pathProblem } from '../core/build/contract.ts';

/** Longest path a manifest may hold, in UTF-8 bytes (the build contract's rule). */
export { MAX_PATH_BYTES } from '../core/build/contract.ts';

/** A path from user input or from a build output that could escape its root or confuse the CDN. */
export class UnsafePathError extends Error {
  override name = 'UnsafePathError';
}

/**
 * Checks a POSIX path that will become part of a deployment (a manifest key or a source file)
 * with the build contract's one safe-relative-path rule (`pathProblem`: relative, no `.`/`..`/empty
 * segments, no control character, no backslash, at most 1024 UTF-8 bytes) — the rule the control
 * plane checks the manifest and uploads with. Returns the path unchanged so it can be used inline.
 */
export function assertSafeRelativePath(p: string, what = 'path'): string {
  const problem = pathProblem(p);
  if (problem) throw new UnsafePathError(`${what} ${problem}: ${JSON.stringify(p.slice(0, 200))}`);
  return p;
}

/**
 * Normalizes a user-supplied directory setting (`rootDirectory`, `outputDirectory`): leading `./`
 * and trailing `/` are tolerated, `.` or empty means the root itself, any `..` is rejected even
 * when it would resolve back inside (a clear rule beats a clever one).
 * @returns the POSIX relative path, `.` for the root.
 */
export function normalizeDirSetting(value: string, what: string): string {
  const trimmed = value.trim().replace(/^(\.\/)+/, '').replace(/\/+$/, '');
  if (trimmed === '' || trimmed === '.') return '.';
  assertSafeRelativePath(trimmed, what);
  return trimmed;
}

/** True when `child` is `root` or lies below it (both absolute, already resolved). */
export function isInside(root: string, child: string): boolean {
  const rel = path.relative(root, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * Resolves a directory setting under `root` and follows symlinks, so a source that ships
 * `web -> /etc` cannot move the build outside its checkout.
 * @throws UnsafePathError when the setting or its real path leaves `root`.
 */
export async function resolveInside(root: string, setting: string, what: string): Promise<string> {
  const rel = normalizeDirSetting(setting, what);
  const realRoot = await realpath(root);
  const candidate = path.resolve(realRoot, rel);
  let real: string;
  try {
    real = await realpath(candidate);
  } catch (cause) {
    throw new UnsafePathError(`${what} "${rel}" does not exist`, { cause });
  }
  if (!isInside(realRoot, real)) throw new UnsafePathError(`${what} "${rel}" points outside the source`);
  return real;
}
