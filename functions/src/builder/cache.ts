import { createHash } from 'node:crypto';
import { cp, lstat, mkdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { PackageManager } from './detect.ts';
import type { Framework } from './job.ts';
import type { Logger } from './log.ts';
import type { CacheStore } from './ports.ts';

/** Framework caches inside the project dir, kept between builds. */
export const FRAMEWORK_CACHE_DIRS: readonly string[] = ['node_modules/.cache', '.astro', '.next/cache'];

/** Where things live inside the cache root, which is what gets packed. */
const PACKAGE_MANAGER_SUBDIR = 'pm';
const FRAMEWORK_SUBDIR = 'fw';

export interface CachePlan {
  /** `<scope>-<framework>-<sha256 of the lockfile>`. */
  key: string;
  /** The directory packed and restored as one archive. */
  root: string;
}

/**
 * The package manager's cache lives under the cache root, pointed at through env vars, so
 * installing fills it in place. npx (which fetches pnpm/yarn) uses npm's cache in every case.
 */
export function packageManagerCacheEnv(manager: PackageManager | null, cacheRoot: string): Record<string, string> {
  const dir = path.join(cacheRoot, PACKAGE_MANAGER_SUBDIR);
  const env: Record<string, string> = { npm_config_cache: path.join(dir, 'npm') };
  if (manager === 'pnpm') env.npm_config_store_dir = path.join(dir, 'pnpm-store');
  if (manager === 'yarn') {
    env.YARN_CACHE_FOLDER = path.join(dir, 'yarn');
    env.YARN_ENABLE_GLOBAL_CACHE = 'false';
  }
  return env;
}

/**
 * The cache key for a project: a change of lockfile (or framework) starts from a cold cache.
 * Without a lockfile, package.json stands in for it.
 */
export async function cacheKey(scope: string, framework: Framework, projectDir: string, lockfile: string | null): Promise<string> {
  const bytes = await readFile(path.join(projectDir, lockfile ?? 'package.json'));
  return `${scope}-${framework}-${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Restores the archive into the cache root. Failures are logged and count as a miss. */
export async function restoreCache(store: CacheStore, plan: CachePlan, log: Logger): Promise<boolean> {
  try {
    await mkdir(plan.root, { recursive: true });
    const hit = await store.restore(plan.key, plan.root);
    log.info(hit ? `cache: restored ${plan.key}` : `cache: no entry for ${plan.key}`);
    return hit;
  } catch (error) {
    log.info(`cache: restore failed, continuing without it: ${describe(error)}`);
    await rm(plan.root, { recursive: true, force: true }).catch(() => undefined);
    await mkdir(plan.root, { recursive: true }).catch(() => undefined);
    return false;
  }
}

/**
 * Moves restored framework caches into the project. Runs after install, because `npm ci`
 * deletes node_modules. Failures are logged and ignored.
 */
export async function placeFrameworkCaches(plan: CachePlan, projectDir: string, log: Logger): Promise<void> {
  for (const rel of FRAMEWORK_CACHE_DIRS) {
    const from = path.join(plan.root, FRAMEWORK_SUBDIR, rel);
    if (!(await exists(from))) continue;
    try {
      await moveDir(from, path.join(projectDir, rel));
      log.info(`cache: restored ${rel}`);
    } catch (error) {
      log.info(`cache: could not restore ${rel}: ${describe(error)}`);
    }
  }
}

/**
 * Moves framework caches out of the project into the cache root and stores the archive.
 * Run last: the project dir is not usable afterwards. Never throws.
 */
export async function saveCache(store: CacheStore, plan: CachePlan, projectDir: string, log: Logger): Promise<void> {
  try {
    await rm(path.join(plan.root, FRAMEWORK_SUBDIR), { recursive: true, force: true });
    for (const rel of FRAMEWORK_CACHE_DIRS) {
      const from = path.join(projectDir, rel);
      if (await exists(from)) await moveDir(from, path.join(plan.root, FRAMEWORK_SUBDIR, rel));
    }
    const started = Date.now();
    await store.save(plan.key, plan.root);
    log.info(`cache: saved ${plan.key} in ${Date.now() - started}ms`);
  } catch (error) {
    log.info(`cache: save failed, the next build starts cold: ${describe(error)}`);
  }
}

async function moveDir(from: string, to: string): Promise<void> {
  await rm(to, { recursive: true, force: true });
  await mkdir(path.dirname(to), { recursive: true });
  try {
    await rename(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    await cp(from, to, { recursive: true, verbatimSymlinks: true });
    await rm(from, { recursive: true, force: true });
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch {
    return false;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
