import { accessSync, constants } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { findApiEntrypoints } from './zero-config.ts';
import { detect as detectAgent } from 'package-manager-detector/detect';
import picomatch from 'picomatch';
import { parse as parseYaml } from 'yaml';
import type { Framework, Overrides } from './job.ts';
import { normalizeDirSetting } from './paths.ts';
import { nextBuildCommand, nuxtBuildCommand } from './vercel-build.ts';

export type PackageManager = 'npm' | 'pnpm' | 'yarn';

/** What to run and where the output is, after detection and overrides. */
export interface BuildPlan {
  framework: Framework;
  /** null for a project without package.json. */
  packageManager: PackageManager | null;
  /**
   * The lockfile, relative to the project dir: `package-lock.json`, or `../../pnpm-lock.yaml` when
   * the project is a workspace of a monorepo whose root holds it; null when there is none.
   */
  lockfile: string | null;
  /**
   * Where the install command runs, relative to the project dir: `.`, or the workspace root that
   * holds the lockfile (`../..`). The build always runs in the project dir.
   */
  installDirectory: string;
  /** null: skip the step. */
  installCommand: string | null;
  buildCommand: string | null;
  /** Relative to the project dir (`.` = the project itself); null: first of `outputCandidates` that exists after the build. */
  outputDirectory: string | null;
  outputCandidates: readonly string[];
}

/** The project cannot be built as configured; the message is meant for the user. */
export class DetectionError extends Error {
  override name = 'DetectionError';
}

const ASTRO_SERVER_OUTPUT_MESSAGE =
  "Astro server output needs Vercel's adapter: add @astrojs/vercel (adapter: vercel() in astro.config), or remove output: 'server' (static is Astro's default)";

/** Output directories tried, in order, for a project with only a build script. */
export const GENERIC_OUTPUT_CANDIDATES = ['dist', 'build', 'out', 'public'] as const;

/** Lockfiles in priority order, with the package manager they imply. */
export const LOCKFILES: ReadonlyArray<readonly [string, PackageManager]> = [
  ['package-lock.json', 'npm'],
  ['pnpm-lock.yaml', 'pnpm'],
  ['yarn.lock', 'yarn'],
];

const NEXT_CONFIG_FILES = ['next.config.js', 'next.config.mjs', 'next.config.cjs', 'next.config.ts', 'next.config.mts'];
const ASTRO_CONFIG_FILES = ['astro.config.mjs', 'astro.config.js', 'astro.config.ts', 'astro.config.mts', 'astro.config.cjs'];

interface FrameworkDefaults {
  /** Dependency that identifies the framework. */
  dependency: string | null;
  /** Used when package.json has no `build` script; the project's node_modules/.bin is on PATH. */
  buildCommand: string | null;
  outputDirectory: string | null;
}

/**
 * Checked in this order: Next.js apps often also depend on something Vite-shaped, never the reverse;
 * Nuxt and SvelteKit projects depend on Vite too. Server output comes as `.vercel/output`
 * (Build Output API v3), which the collect step prefers over the output directory.
 */
const FRAMEWORK_DEFAULTS: Record<Framework, FrameworkDefaults> = {
  nextjs: { dependency: 'next', buildCommand: 'next build', outputDirectory: 'out' },
  // Nitro's `vercel` preset (set by detection) writes .vercel/output; `nuxt generate` writes .output/public.
  nuxt: { dependency: 'nuxt', buildCommand: 'nuxt build', outputDirectory: '.output/public' },
  // adapter-vercel writes .vercel/output; adapter-static writes build/ (one of the generic candidates).
  sveltekit: { dependency: '@sveltejs/kit', buildCommand: 'vite build', outputDirectory: null },
  astro: { dependency: 'astro', buildCommand: 'astro build', outputDirectory: 'dist' },
  eleventy: { dependency: '@11ty/eleventy', buildCommand: 'eleventy', outputDirectory: '_site' },
  vite: { dependency: 'vite', buildCommand: 'vite build', outputDirectory: 'dist' },
  'build-script': { dependency: null, buildCommand: null, outputDirectory: null },
  static: { dependency: null, buildCommand: null, outputDirectory: '.' },
};

interface PackageJson {
  scripts?: Record<string, unknown>;
  workspaces?: unknown;
  dependencies?: Record<string, unknown>;
  devDependencies?: Record<string, unknown>;
  packageManager?: unknown;
}

export interface DetectOptions {
  /** Whether a program is on PATH; injectable so tests do not depend on the host. */
  hasBinary?: (name: string) => boolean;
  /**
   * The repository root (an ancestor of `projectDir`, or itself): lockfiles are looked for from the
   * project dir up to here, as Vercel's `scanParentDirs` does. @default projectDir
   */
  rootDir?: string;
}

/**
 * Zero-config detection: decides framework, package manager, commands and output directory from
 * the files in `projectDir`; every override given wins over what was detected.
 * @throws DetectionError for projects the platform cannot serve (Astro server output without @astrojs/vercel,
 *   an unreadable package.json, an output directory with `..`).
 */
export async function detect(projectDir: string, overrides: Overrides = {}, options: DetectOptions = {}): Promise<BuildPlan> {
  const hasBinary = options.hasBinary ?? binaryOnPath;
  const pkg = await readPackageJson(projectDir);

  if (pkg === null) {
    const framework = overrides.framework ?? 'static';
    return applyOverrides(
      {
        framework,
        packageManager: null,
        lockfile: null,
        installDirectory: '.',
        installCommand: null,
        buildCommand: null,
        outputDirectory: FRAMEWORK_DEFAULTS[framework].outputDirectory ?? '.',
        outputCandidates: [],
      },
      overrides,
    );
  }

  const deps = { ...(pkg.dependencies ?? {}), ...(pkg.devDependencies ?? {}) };
  const hasBuildScript = typeof pkg.scripts?.build === 'string';
  const framework = overrides.framework ?? detectFramework(deps, hasBuildScript);

  const nextServer = framework === 'nextjs' && !(await isNextStaticExport(projectDir));
  if (framework === 'astro') await assertAstroBuildable(projectDir, deps);

  const { manager, lockfile, installDir } = await detectPackageManager(projectDir, options.rootDir ?? projectDir);
  // In a monorepo the `packageManager` pin is the workspace root's.
  const rootPkg = installDir === projectDir ? pkg : ((await readPackageJson(installDir)) ?? {});
  const pm = packageManagerCommands(manager, lockfile === null ? null : await readFile(path.join(projectDir, lockfile), 'utf8'), rootPkg, hasBinary);
  const defaults = FRAMEWORK_DEFAULTS[framework];
  const installDirectory = path.relative(projectDir, installDir) || '.';

  let plan: BuildPlan;
  if (framework === 'static') {
    // A package.json without a build script: serve the files as they are, nothing to install —
    // unless api/ has functions, which are bundled with the project's dependencies (as on Vercel).
    const install = (await findApiEntrypoints(projectDir)).length > 0 ? (lockfile === null ? pm.installWithoutLockfile : pm.install) : null;
    plan = { framework, packageManager: manager, lockfile, installDirectory, installCommand: install, buildCommand: null, outputDirectory: '.', outputCandidates: [] };
  } else {
    plan = {
      framework,
      packageManager: manager,
      lockfile,
      installDirectory,
      installCommand: lockfile === null ? pm.installWithoutLockfile : pm.install,
      buildCommand: hasBuildScript ? pm.runBuild : defaults.buildCommand,
      outputDirectory: defaults.outputDirectory,
      outputCandidates: defaults.outputDirectory === null ? GENERIC_OUTPUT_CANDIDATES : [],
    };
  }
  plan = applyOverrides(plan, overrides);
  if (nextServer) {
    // vercel build runs the project's build (the override, else its build script or `next build`) itself.
    plan.buildCommand = nextBuildCommand({ hasVercelCli: hasBinary('vercel'), buildCommand: overrides.buildCommand !== undefined ? nonEmpty(overrides.buildCommand) : null });
    if (overrides.outputDirectory === undefined) plan.outputDirectory = BUILD_OUTPUT_STATIC;
  } else if (framework === 'nuxt' && plan.buildCommand !== null) {
    plan.buildCommand = nuxtBuildCommand(plan.buildCommand);
  }
  return plan;
}

/** Where Build Output API v3 puts static files; what a `vercel build` of Next.js deploys. */
const BUILD_OUTPUT_STATIC = '.vercel/output/static';

function detectFramework(deps: Record<string, unknown>, hasBuildScript: boolean): Framework {
  for (const [framework, defaults] of Object.entries(FRAMEWORK_DEFAULTS) as Array<[Framework, FrameworkDefaults]>) {
    if (defaults.dependency !== null && defaults.dependency in deps) return framework;
  }
  return hasBuildScript ? 'build-script' : 'static';
}

function applyOverrides(plan: BuildPlan, overrides: Overrides): BuildPlan {
  const result = { ...plan };
  if (overrides.installCommand !== undefined) {
    // Like Vercel's Install Command setting: it runs in the project's root directory.
    result.installCommand = nonEmpty(overrides.installCommand);
    result.installDirectory = '.';
  }
  if (overrides.buildCommand !== undefined) result.buildCommand = nonEmpty(overrides.buildCommand);
  if (overrides.outputDirectory !== undefined) {
    try {
      result.outputDirectory = normalizeDirSetting(overrides.outputDirectory, 'outputDirectory');
    } catch (cause) {
      throw new DetectionError(`invalid outputDirectory: ${(cause as Error).message}`, { cause });
    }
    result.outputCandidates = [];
  }
  return result;
}

function nonEmpty(command: string): string | null {
  return command.trim() === '' ? null : command;
}

/**
 * Which package manager installs the project, and from where. Walks from `projectDir` up to
 * `rootDir` with `package-manager-detector` (its lockfile strategy: lockfiles, `pnpm-workspace.yaml`,
 * `rush.json`) and stops at the first directory that has one — as Vercel's `scanParentDirs` does
 * (vercel/vercel packages/build-utils/src/fs/run-user-scripts.ts). Within that directory the
 * lockfile is chosen in {@link LOCKFILES} order.
 *
 * A lockfile above the project counts only when that directory is a workspace root listing the
 * project (package.json `workspaces`, for npm and Yarn, or `pnpm-workspace.yaml` `packages`,
 * negations included): then the install runs there, where the lockfile is, as `npm ci`/`pnpm
 * install` of a workspace must. A lockfile of an unrelated parent project does not describe this
 * one, and neither does one of a manager the builder does not run (bun, deno): those projects are
 * installed from their own package.json with `npm install`, as before.
 * @returns `lockfile` relative to `projectDir`; `installDir` absolute.
 */
export async function detectPackageManager(
  projectDir: string,
  rootDir: string = projectDir,
): Promise<{ manager: PackageManager; lockfile: string | null; installDir: string }> {
  const none = { manager: 'npm' as const, lockfile: null, installDir: projectDir };
  let dir = projectDir;
  const found = await detectAgent({
    cwd: projectDir,
    stopDir: path.resolve(rootDir),
    // The detector says which manager, not where: a first strategy notes the directory it visits.
    strategies: [
      ({ directory }) => {
        dir = directory;
        return null;
      },
      'lockfile',
    ],
  });
  if (found === null) return none;
  const inWorkspace = async (manager: PackageManager) => dir === projectDir || (await isWorkspaceMember(dir, projectDir, manager));
  for (const [file, manager] of LOCKFILES) {
    if (!(await isFile(path.join(dir, file)))) continue;
    if (!(await inWorkspace(manager))) return none;
    return { manager, lockfile: path.relative(projectDir, path.join(dir, file)), installDir: dir };
  }
  // A pnpm workspace that has no lockfile yet.
  if (found.name === 'pnpm' && (await isFile(path.join(dir, PNPM_WORKSPACE))) && (await inWorkspace('pnpm'))) {
    return { manager: 'pnpm', lockfile: null, installDir: dir };
  }
  return none;
}

const PNPM_WORKSPACE = 'pnpm-workspace.yaml';

/**
 * Whether `root`'s workspace globs list `projectDir`: `packages` of pnpm-workspace.yaml for pnpm
 * (pnpm.io/pnpm-workspace_yaml), package.json `workspaces` (an array, or Yarn's `{ packages }`)
 * otherwise (docs.npmjs.com/cli/using-npm/workspaces). `!pattern` excludes.
 */
async function isWorkspaceMember(root: string, projectDir: string, manager: PackageManager): Promise<boolean> {
  let patterns: unknown;
  if (manager === 'pnpm') {
    const text = await readFile(path.join(root, PNPM_WORKSPACE), 'utf8').catch(() => null);
    patterns = text === null ? undefined : (parseYamlSafe(text) as { packages?: unknown } | null)?.packages;
  } else {
    const workspaces = (await readPackageJson(root).catch(() => null))?.workspaces;
    patterns = Array.isArray(workspaces) ? workspaces : (workspaces as { packages?: unknown } | undefined)?.packages;
  }
  if (!Array.isArray(patterns)) return false;
  const globs = patterns.filter((p): p is string => typeof p === 'string').map((p) => p.trim());
  const clean = (p: string) => p.replace(/^\.\//, '').replace(/\/+$/, '');
  const include = globs.filter((p) => !p.startsWith('!')).map(clean);
  const exclude = globs.filter((p) => p.startsWith('!')).map((p) => clean(p.slice(1)));
  const relative = path.relative(root, projectDir).split(path.sep).join('/');
  return include.length > 0 && picomatch(include)(relative) && !(exclude.length > 0 && picomatch(exclude)(relative));
}

function parseYamlSafe(text: string): unknown {
  try {
    return parseYaml(text);
  } catch {
    // An unreadable workspace file lists nothing: the project installs on its own.
    return null;
  }
}

interface PackageManagerCommands {
  install: string;
  installWithoutLockfile: string;
  runBuild: string;
}

/**
 * Commands for a package manager. pnpm and yarn are not assumed to be installed: a version pinned
 * in package.json's `packageManager` runs through `npx`, else a binary on PATH, else `npx pnpm@9` /
 * `npx yarn@1`. Yarn Berry (a lockfile with `__metadata`) goes through corepack, which reads the pin.
 */
export function packageManagerCommands(
  manager: PackageManager,
  lockfileText: string | null,
  pkg: Pick<PackageJson, 'packageManager'>,
  hasBinary: (name: string) => boolean,
): PackageManagerCommands {
  if (manager === 'npm') return { install: 'npm ci', installWithoutLockfile: 'npm install', runBuild: 'npm run build' };

  const pinned = pinnedVersion(pkg.packageManager, manager);
  if (manager === 'pnpm') {
    const bin = pinned !== null ? `npx --yes pnpm@${pinned}` : hasBinary('pnpm') ? 'pnpm' : 'npx --yes pnpm@9';
    return { install: `${bin} install --frozen-lockfile`, installWithoutLockfile: `${bin} install`, runBuild: `${bin} run build` };
  }
  const berry = lockfileText !== null && lockfileText.includes('__metadata:');
  if (berry) {
    return { install: 'corepack yarn install --immutable', installWithoutLockfile: 'corepack yarn install', runBuild: 'corepack yarn run build' };
  }
  const bin = pinned !== null ? `npx --yes yarn@${pinned}` : hasBinary('yarn') ? 'yarn' : 'npx --yes yarn@1';
  return { install: `${bin} install --frozen-lockfile`, installWithoutLockfile: `${bin} install`, runBuild: `${bin} run build` };
}

/** `"pnpm@9.12.0+sha512.abc"` → `9.12.0`; only plain version characters, since it lands in a shell command. */
function pinnedVersion(field: unknown, manager: PackageManager): string | null {
  if (typeof field !== 'string' || !field.startsWith(`${manager}@`)) return null;
  const version = field.slice(manager.length + 1).split('+')[0] ?? '';
  return /^[0-9A-Za-z.-]+$/.test(version) ? version : null;
}

/** The project's package.json, parsed; null when it has none. @throws DetectionError when it is not a JSON object */
export async function readPackageJson(projectDir: string): Promise<PackageJson | null> {
  let text: string;
  try {
    text = await readFile(path.join(projectDir, 'package.json'), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new DetectionError(`package.json is not valid JSON: ${(cause as Error).message}`, { cause });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new DetectionError('package.json must contain a JSON object');
  }
  return parsed as PackageJson;
}

/**
 * Whether next.config.* asks for a static export. Read as text: evaluating a user's config would run
 * user code before the sandboxed build step, and `output: 'export'` is a literal in practice.
 * Without it (or without a config) the project has server output and is built with `vercel build`.
 */
async function isNextStaticExport(projectDir: string): Promise<boolean> {
  const config = await readFirst(projectDir, NEXT_CONFIG_FILES);
  return config !== null && /\boutput\s*:\s*['"`]export['"`]/.test(withoutComments(config.text));
}

/** JavaScript source without its comments (roughly: a `//` after `:` is kept, for URLs in strings), so a comment cannot switch the build. */
function withoutComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
}

/**
 * Astro's server output becomes functions only through `@astrojs/vercel`, whose build writes
 * `.vercel/output`; without it the build would leave a Node server Runway cannot deploy.
 * @throws DetectionError naming the adapter to add
 */
async function assertAstroBuildable(projectDir: string, deps: Record<string, unknown>): Promise<void> {
  const config = await readFirst(projectDir, ASTRO_CONFIG_FILES);
  if (config !== null && /\boutput\s*:\s*['"`]server['"`]/.test(config.text) && !('@astrojs/vercel' in deps)) {
    throw new DetectionError(`${ASTRO_SERVER_OUTPUT_MESSAGE} (${config.file})`);
  }
}

async function readFirst(dir: string, files: readonly string[]): Promise<{ file: string; text: string } | null> {
  for (const file of files) {
    try {
      return { file, text: await readFile(path.join(dir, file), 'utf8') };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return null;
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

/**
 * After the build: the configured output directory, or the first candidate that exists.
 * @throws DetectionError when there is none.
 */
export async function resolveOutputDirectory(projectDir: string, plan: BuildPlan): Promise<string> {
  const candidates = plan.outputDirectory !== null ? [plan.outputDirectory] : plan.outputCandidates;
  for (const candidate of candidates) {
    try {
      if ((await stat(path.join(projectDir, candidate))).isDirectory()) return candidate;
    } catch {
      // try the next one
    }
  }
  const tried = candidates.map((c) => `"${c}"`).join(', ');
  throw new DetectionError(
    candidates.length === 1
      ? `output directory ${tried} does not exist after the build; set outputDirectory`
      : `none of the output directories ${tried} exists after the build; set outputDirectory`,
  );
}

function binaryOnPath(name: string): boolean {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    try {
      accessSync(path.join(dir, name), constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}
