import { createHash } from 'node:crypto';
import { chmod, cp, lstat, mkdir, readdir, readFile, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BuildPlan, PackageManager } from './detect.ts';
import type { Logger } from './log.ts';
import { assertSafeRelativePath, isInside } from './paths.ts';
import type { CacheStore } from './ports.ts';

/** Framework caches inside the project dir, kept between builds. */
export const FRAMEWORK_CACHE_DIRS: readonly string[] = ['node_modules/.cache', '.astro', '.next/cache'];

/**
 * Where things live inside the cache root. Each entry is its own archive: `deps/` (the installed
 * dependencies, immutable under its key) and `fw/` (framework caches, replaced by every build).
 */
const DEPS_SUBDIR = 'deps';
const PACKAGE_MANAGER_SUBDIR = path.join(DEPS_SUBDIR, 'pm');
const MODULES_SUBDIR = path.join(DEPS_SUBDIR, 'modules');
/** What the `deps` entry holds; written last, so an entry without it is never trusted. */
const DEPS_MARKER = path.join(DEPS_SUBDIR, 'deps.json');
const FRAMEWORK_SUBDIR = 'fw';
/** Bumped when the layout of an entry changes, so old archives are never read as new ones. */
const LAYOUT_VERSION = 2;

export interface CachePlan {
  /**
   * The dependencies entry, `<scope>-<framework>-<sha256>` over the lockfile (package.json when
   * there is none), the package manager, the install command and directory, the Node.js version
   * and the platform. Restored before the install; saved only when it was not restored, since
   * the same inputs install the same tree.
   */
  key: string;
  /** The framework caches entry, `<scope>-<framework>-fw-<sha256 of Node.js version and platform>`; restored and saved by every build. */
  frameworkKey: string;
  /** The directory entries are packed from and restored into. */
  root: string;
  /**
   * `modules`: the entry holds every `node_modules` under the install dir, and a restore replaces
   * the install (Netlify's build image skips `npm install` the same way when package.json and the
   * Node.js version are unchanged: netlify/build-image run-build-functions.sh `install_deps`).
   * `store`: the entry holds the package manager's store and the install runs with it — for
   * install commands the builder did not choose (the project's own may do anything) and for Yarn
   * Plug'n'Play, whose install state is not in `node_modules`, and for projects whose own
   * packages have install scripts (`prepare`, `postinstall`…), which may write outside it.
   */
  mode: 'modules' | 'store';
  /** Absolute: where the install runs and `node_modules` trees are collected from. */
  installDir: string;
}

export interface PlanCacheInput {
  /** The job's cache scope (the control plane scopes it to one project). */
  scope: string;
  plan: BuildPlan;
  /** Absolute and real (symlinks resolved). */
  projectDir: string;
  /** The cache root, an empty directory of this build. */
  root: string;
  /** True when the install command is the project's own override. */
  installOverridden: boolean;
  /** @default process.version, process.platform, process.arch: the builder runs on the Node.js its builds use. */
  runtime?: { node: string; platform: string; arch: string };
}

/**
 * The cache entries of a build. Without a lockfile, package.json stands in for it, as long as
 * the install runs in the project itself (a workspace without a lockfile has no single file that
 * pins what it installs, so it caches the store only).
 * @throws when the lockfile or package.json cannot be read (the caller builds without a cache).
 */
export async function planCache(input: PlanCacheInput): Promise<CachePlan> {
  const { plan, projectDir } = input;
  const runtime = input.runtime ?? { node: process.version, platform: process.platform, arch: process.arch };
  const installDir = path.resolve(projectDir, plan.installDirectory);
  const pinned = plan.lockfile ?? 'package.json';
  const yarnBerry = plan.packageManager === 'yarn' && /^corepack yarn\b/.test(plan.installCommand ?? '');
  const mode =
    !input.installOverridden && !yarnBerry && (plan.lockfile !== null || installDir === projectDir) && !(await hasOwnInstallScripts(installDir)) ? 'modules' : 'store';
  const deps = createHash('sha256')
    .update(JSON.stringify({ layout: LAYOUT_VERSION, mode, packageManager: plan.packageManager, install: plan.installCommand, installDirectory: plan.installDirectory, pinned: path.basename(pinned), ...runtime }))
    .update('\0')
    .update(await readFile(path.join(projectDir, pinned)))
    .digest('hex');
  const framework = createHash('sha256').update(JSON.stringify({ layout: LAYOUT_VERSION, ...runtime })).digest('hex');
  return {
    key: `${input.scope}-${plan.framework}-${deps}`,
    frameworkKey: `${input.scope}-${plan.framework}-fw-${framework}`,
    root: input.root,
    mode,
    installDir,
  };
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

/** What {@link restoreDependencies} found. */
export interface DependenciesRestore {
  /** The entry existed and was unpacked. */
  restored: boolean;
  /** `node_modules` is back in place: the install can be skipped. */
  modulesRestored: boolean;
}

const DepsMarker = {
  parse(text: string): { modules: string[] } | null {
    const value = JSON.parse(text) as unknown;
    if (typeof value !== 'object' || value === null || !Array.isArray((value as { modules?: unknown }).modules)) return null;
    const modules = (value as { modules: unknown[] }).modules;
    return modules.every((m): m is string => typeof m === 'string') ? { modules } : null;
  },
};

/**
 * Restores the dependencies entry. In `modules` mode, moves the saved `node_modules` trees back
 * to where they were under the install dir. The archive is the project's own earlier output and
 * is not trusted further than that: every path it names must stay inside the install dir.
 * Failures are logged and count as a miss.
 */
export async function restoreDependencies(store: CacheStore, plan: CachePlan, log: Logger): Promise<DependenciesRestore> {
  const dir = path.join(plan.root, DEPS_SUBDIR);
  const miss = { restored: false, modulesRestored: false };
  let restored: boolean;
  try {
    await mkdir(dir, { recursive: true });
    restored = await store.restore(plan.key, dir);
    log.info(restored ? `cache: restored ${plan.key}` : `cache: no entry for ${plan.key}`);
  } catch (error) {
    log.info(`cache: restore failed, continuing without it: ${describe(error)}`);
    await emptyDir(dir);
    return miss;
  }
  if (!restored || plan.mode !== 'modules') return { restored, modulesRestored: false };
  try {
    const marker = DepsMarker.parse(await readFile(path.join(plan.root, DEPS_MARKER), 'utf8'));
    if (marker === null) throw new Error('the entry has no valid deps.json');
    for (const rel of marker.modules) {
      const to = await insideOrThrow(plan.installDir, assertSafeRelativePath(rel, 'cached node_modules path'));
      await moveDir(path.join(plan.root, MODULES_SUBDIR, rel), to);
      await markBinTargetsExecutable(plan.installDir, to);
    }
    log.info(`cache: node_modules restored (${marker.modules.join(', ')}); the install is skipped`);
    return { restored, modulesRestored: true };
  } catch (error) {
    log.info(`cache: node_modules not restored, installing: ${describe(error)}`);
    for (const rel of await findNodeModules(plan.installDir)) await rm(path.join(plan.installDir, rel), { recursive: true, force: true });
    await emptyDir(dir);
    // Counted as a miss, so this build writes a good entry in its place.
    return miss;
  }
}

/**
 * Restores the framework caches entry and moves its directories into the project. Runs after
 * the install, because `npm ci` deletes node_modules. Failures are logged and ignored.
 */
export async function restoreFrameworkCaches(store: CacheStore, plan: CachePlan, projectDir: string, log: Logger): Promise<boolean> {
  const dir = path.join(plan.root, FRAMEWORK_SUBDIR);
  let restored = false;
  try {
    await mkdir(dir, { recursive: true });
    restored = await store.restore(plan.frameworkKey, dir);
  } catch (error) {
    log.info(`cache: framework caches not restored: ${describe(error)}`);
    await emptyDir(dir);
    return false;
  }
  for (const rel of FRAMEWORK_CACHE_DIRS) {
    const from = path.join(dir, rel);
    if (!(await exists(from))) continue;
    try {
      await moveDir(from, path.join(projectDir, rel));
      log.info(`cache: restored ${rel}`);
    } catch (error) {
      log.info(`cache: could not restore ${rel}: ${describe(error)}`);
    }
  }
  return restored;
}

/**
 * Moves framework caches (and, for a new dependencies entry, the `node_modules` trees) out of
 * the project into the cache root and stores the entries. Run last: the project dir is not
 * usable afterwards. Never throws.
 * @param depsRestored whether the dependencies entry was restored: it is immutable, so only a
 *   miss (a fresh install) writes it.
 */
export async function saveCache(store: CacheStore, plan: CachePlan, projectDir: string, log: Logger, depsRestored: boolean): Promise<void> {
  try {
    const fw = path.join(plan.root, FRAMEWORK_SUBDIR);
    await emptyDir(fw);
    let found = 0;
    for (const rel of FRAMEWORK_CACHE_DIRS) {
      const from = path.join(projectDir, rel);
      if (!(await exists(from))) continue;
      await moveDir(from, path.join(fw, rel));
      found++;
    }
    // Nothing to keep: no upload (an entry restored earlier stays as it was).
    if (found > 0) await timed(log, plan.frameworkKey, () => store.save(plan.frameworkKey, fw));
  } catch (error) {
    log.info(`cache: save failed, the next build starts cold: ${describe(error)}`);
  }
  if (depsRestored) return;
  try {
    const deps = path.join(plan.root, DEPS_SUBDIR);
    let modules: string[] = [];
    if (plan.mode === 'modules') {
      // node_modules holds what the store would give, installed: the store is not kept.
      await rm(path.join(plan.root, PACKAGE_MANAGER_SUBDIR), { recursive: true, force: true });
      await emptyDir(path.join(plan.root, MODULES_SUBDIR));
      modules = await findNodeModules(plan.installDir);
      for (const rel of modules) await moveDir(path.join(plan.installDir, rel), path.join(plan.root, MODULES_SUBDIR, rel));
    }
    await writeFile(path.join(plan.root, DEPS_MARKER), JSON.stringify({ mode: plan.mode, modules }));
    await timed(log, plan.key, () => store.save(plan.key, deps));
  } catch (error) {
    log.info(`cache: save failed, the next build starts cold: ${describe(error)}`);
  }
}

async function timed(log: Logger, key: string, save: () => Promise<void>): Promise<void> {
  const started = Date.now();
  await save();
  log.info(`cache: saved ${key} in ${Date.now() - started}ms`);
}

/**
 * Every `node_modules` directory under `dir` (relative POSIX paths), not looking inside one:
 * the install dir's own and those of workspace packages, as Vercel's default cache glob
 * `**\/node_modules/**` takes them (vercel/vercel packages/build-utils/src/default-cache-path-glob.ts).
 */
export async function findNodeModules(dir: string): Promise<string[]> {
  const found: string[] = [];
  for await (const { rel, name } of sourceDirs(dir)) if (name === 'node_modules') found.push(rel);
  return found.sort();
}

/** npm's scripts that run on install for the project itself (docs.npmjs.com/cli/using-npm/scripts#npm-install). */
const INSTALL_SCRIPTS = ['preinstall', 'install', 'postinstall', 'prepublish', 'preprepare', 'prepare', 'postprepare'];

/**
 * Whether the install would run a script of the project's own packages (the install dir's
 * package.json or a workspace package's): such a script may write into the source tree, which
 * a restored node_modules cannot stand in for.
 */
export async function hasOwnInstallScripts(dir: string): Promise<boolean> {
  const dirs = [''];
  for await (const { rel, name } of sourceDirs(dir)) if (name !== 'node_modules') dirs.push(rel);
  for (const rel of dirs) {
    const text = await readFile(path.join(dir, rel, 'package.json'), 'utf8').catch(() => null);
    if (text === null) continue;
    let scripts: unknown;
    try {
      scripts = (JSON.parse(text) as { scripts?: unknown }).scripts;
    } catch {
      // Not a package.json the install would read either.
      continue;
    }
    if (typeof scripts === 'object' && scripts !== null && INSTALL_SCRIPTS.some((name) => name in scripts)) return true;
  }
  return false;
}

/** Directories under `dir`, `node_modules` ones yielded but not entered; `.git` and symlinks skipped. */
async function* sourceDirs(dir: string, prefix = ''): AsyncGenerator<{ rel: string; name: string }> {
  const entries = await readdir(path.join(dir, prefix), { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (!entry.isDirectory() || entry.name === '.git') continue;
    const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    yield { rel, name: entry.name };
    if (entry.name !== 'node_modules') yield* sourceDirs(dir, rel);
  }
}

/**
 * What the skipped install would have done outside node_modules: npm and Yarn link a workspace
 * package's `bin` to its file in the source tree and make that file executable (npm's
 * bin-links). A fresh checkout of uploaded files has no mode bits, so they are set again here,
 * for link targets inside the install dir only.
 */
async function markBinTargetsExecutable(installDir: string, nodeModules: string): Promise<void> {
  const bin = path.join(nodeModules, '.bin');
  const entries = await readdir(bin, { withFileTypes: true }).catch(() => []);
  const root = await realpath(installDir);
  for (const entry of entries) {
    if (!entry.isSymbolicLink()) continue;
    const target = await realpath(path.join(bin, entry.name)).catch(() => null);
    if (target === null || !isInside(root, target) || target.split(path.sep).includes('node_modules')) continue;
    const { mode } = await stat(target);
    if ((mode & 0o111) !== 0o111) await chmod(target, mode | 0o111);
  }
}

/** `root/rel`, after checking that its parent's real path is inside `root` (a source symlink must not redirect the move). */
async function insideOrThrow(root: string, rel: string): Promise<string> {
  const target = path.join(root, rel);
  const parent = await realpath(path.dirname(target));
  if (!isInside(await realpath(root), parent)) throw new Error(`${rel} is outside the install directory`);
  return target;
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

async function emptyDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  await mkdir(dir, { recursive: true }).catch(() => undefined);
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
