import { realpath } from 'node:fs/promises';
import path from 'node:path';

/** Longest path a manifest may hold; S3 keys are ≤ 1024 bytes and the CDN prefix is added later. */
export const MAX_PATH_LENGTH = 1024;

/** A path from user input or from a build output that could escape its root or confuse the CDN. */
export class UnsafePathError extends Error {
  override name = 'UnsafePathError';
}

/**
 * Checks a POSIX path that will become part of a deployment (a manifest key or a source file):
 * relative, no `.`/`..`/empty segments, no NUL, no backslash, at most {@link MAX_PATH_LENGTH}.
 * Returns the path unchanged so it can be used inline.
 */
export function assertSafeRelativePath(p: string, what = 'path'): string {
  if (p.length === 0) throw new UnsafePathError(`${what} is empty`);
  if (p.length > MAX_PATH_LENGTH) throw new UnsafePathError(`${what} is longer than ${MAX_PATH_LENGTH} characters`);
  if (p.includes('\0')) throw new UnsafePathError(`${what} contains a NUL character`);
  // A backslash is a separator on Windows and in some URL normalizers: never let it alias a path.
  if (p.includes('\\')) throw new UnsafePathError(`${what} contains a backslash: ${JSON.stringify(p)}`);
  if (p.startsWith('/')) throw new UnsafePathError(`${what} must be relative: ${JSON.stringify(p)}`);
  for (const segment of p.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') {
      throw new UnsafePathError(`${what} has an empty, "." or ".." segment: ${JSON.stringify(p)}`);
    }
  }
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
