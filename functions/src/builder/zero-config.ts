import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { appendRoutesToPhase, type Route as VercelRoute } from '@vercel/routing-utils';
import picomatch from 'picomatch';
import semver from 'semver';
import type { BuildOutputConfig, Route } from '../core/routing/schema.ts';
import { FunctionPackageError } from './functions.ts';

/**
 * Zero-config functions, as Vercel builds a project's `api/` directory (vercel/vercel
 * packages/fs-detectors/src/detect-builders.ts: `maybeGetApiBuilder`, `getApiRoute`,
 * `createRouteFromPath`, `getRouteResult` with `featHandleMiss`, which `vercel build` uses): every
 * `api/**` file with a Node.js extension becomes a function, bundled here with esbuild into a
 * Build Output API `.func` directory; dynamic segments (`[id]`) become rewrites after the
 * filesystem with the segment in the query.
 */

/** Extensions of a Node.js function under `api/` (Vercel: js, mjs, ts, tsx; here also the explicit module kinds). */
export const API_EXTENSIONS = ['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts'] as const;

/**
 * Top-level names of a project that are not static files when it has `api/` functions and is
 * deployed from its root: Vercel's `VERCEL_PLATFORM_FILES` (detect-builders.ts), minus the globs.
 */
export const PLATFORM_FILES: readonly string[] = [
  'api',
  'node_modules',
  'middleware.js',
  'middleware.ts',
  'package.json',
  'package-lock.json',
  'yarn.lock',
  'pnpm-lock.yaml',
  'bun.lock',
  'bun.lockb',
  '.gitignore',
  'README.md',
];

/** Node.js majors a function may run on, newest first, and their Lambda runtimes (core's `NODE_RUNTIMES`). */
const NODE_MAJORS = [
  { major: 24, range: '24.x', runtime: 'nodejs24.x' },
  { major: 22, range: '22.x', runtime: 'nodejs22.x' },
  { major: 20, range: '20.x', runtime: 'nodejs20.x' },
] as const;
/** A project without `engines.node` runs on this one (Vercel's default Node.js version setting today). */
export const DEFAULT_NODE_RUNTIME = 'nodejs22.x';

/** A project's `api/` cannot be built as Vercel would: conflicting paths, a bad `functions` config. */
export class ZeroConfigError extends Error {
  override name = 'ZeroConfigError';
}

/** One zero-config function: its source file and how it runs. */
export interface ApiFunction {
  /** Project-relative source, e.g. `api/users/[id].ts`. */
  entry: string;
  /** Its function name (the source without its extension), e.g. `api/users/[id]`. */
  name: string;
  format: 'esm' | 'cjs';
  /** `nodejs22.x`… */
  runtime: string;
  memory?: number;
  maxDuration?: number;
  /**
   * vercel.json `includeFiles`: a glob of project files copied into the function at their
   * project-relative paths (where `process.cwd()`-relative reads find them, as on Vercel).
   */
  includeFiles?: string;
}

export interface ApiPlan {
  functions: ApiFunction[];
  /** Routes to add to the project's compiled config, by phase (`null`: before the filesystem). */
  routes: { phase: 'filesystem' | 'miss' | null; routes: Route[] }[];
  /** Things the log should say (ignored `functions` fields). */
  notes: string[];
}

/**
 * The `api/` files that become functions, project-relative and sorted: Node.js extensions, and not
 * under a `_` or `.` name, not in `node_modules`, not a `.d.ts` (Vercel's `maybeGetApiBuilder`).
 * @returns `[]` when the project has no `api/` directory
 */
export async function findApiEntrypoints(projectDir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(path.join(projectDir, rel), { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return;
      throw error;
    }
    for (const entry of entries) {
      if (entry.name.startsWith('_') || entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const file = `${rel}/${entry.name}`;
      if (entry.isDirectory()) await walk(file);
      else if (entry.isFile() && isApiSource(entry.name)) found.push(file);
    }
  };
  await walk('api');
  return found.sort();
}

function isApiSource(name: string): boolean {
  if (/\.d\.[cm]?ts$/.test(name)) return false;
  return API_EXTENSIONS.some((ext) => name.endsWith(ext));
}

/**
 * Plans the functions of `entries` and the routes that reach them, as `vercel build` would.
 * @param options.packageJson the project's package.json (its `type` and `engines.node`)
 * @param options.vercelJson the project's vercel.json: `functions` (memory, maxDuration per glob),
 *   `cleanUrls` / `trailingSlash` (how `/api/x.ts` reaches `/api/x`)
 * @throws ZeroConfigError for a segment name used twice in a path, two files that serve one path,
 *   an `engines.node` no supported runtime satisfies, a `functions` pattern that matches no
 *   function, or a `functions` entry asking for a community `runtime`
 */
export function planApiFunctions(entries: readonly string[], options: { packageJson?: unknown; vercelJson?: unknown }): ApiPlan {
  const pkg = (isObject(options.packageJson) ? options.packageJson : {}) as { type?: unknown; engines?: { node?: unknown } };
  const vercel = (isObject(options.vercelJson) ? options.vercelJson : {}) as { functions?: unknown; cleanUrls?: unknown; trailingSlash?: unknown };
  const runtime = nodeRuntime(typeof pkg.engines?.node === 'string' ? pkg.engines.node : undefined);
  const fnConfigs = Object.entries(isObject(vercel.functions) ? vercel.functions : {}) as Array<[string, Record<string, unknown>]>;
  const used = new Set<string>();
  const notes: string[] = [];

  // Vercel sorts by segment count (deepest first), then fewer trailing placeholders, then by name:
  // that is the order of its dynamic routes (`sortFilesBySegmentCount`).
  const sorted = [...entries].sort(bySegmentCount);
  const absolute = new Map(sorted.map((f) => [f, absolutePath(f)]));
  const functions: ApiFunction[] = [];
  const dynamicRoutes: Route[] = [];
  for (const entry of sorted) {
    const conflict = conflictingSegment(entry);
    if (conflict) {
      throw new ZeroConfigError(`The segment "${conflict}" occurs more than one time in your path "${entry}". Please make sure that every segment in a path is unique.`);
    }
    const clashes = sorted.filter((other) => other !== entry && (absolute.get(other) === absolute.get(entry) || partiallyMatches(entry, other)));
    if (clashes.length > 0) {
      throw new ZeroConfigError(
        `Two or more files have conflicting paths or names. Please make sure path segments and filenames, without their extension, are unique. The path "${entry}" has conflicts with ${clashes.map((c) => `"${c}"`).join(', ')}.`,
      );
    }
    const ext = path.posix.extname(entry);
    const name = entry.slice(0, -ext.length);
    const { route, isDynamic } = routeFromPath(entry, name);
    if (isDynamic) dynamicRoutes.push(route);

    const fn: ApiFunction = { entry, name, format: formatOf(ext, pkg.type), runtime };
    const match = fnConfigs.find(([pattern]) => pattern === entry || picomatch.isMatch(entry, pattern));
    if (match) {
      const [pattern, config] = match;
      used.add(pattern);
      if (typeof config.runtime === 'string') {
        throw new ZeroConfigError(`vercel.json functions["${pattern}"] asks for the runtime "${config.runtime}": Runway runs the Node.js runtime only`);
      }
      if (typeof config.memory === 'number') fn.memory = config.memory;
      if (typeof config.maxDuration === 'number') fn.maxDuration = config.maxDuration;
      if (typeof config.includeFiles === 'string') fn.includeFiles = config.includeFiles;
      const ignored = Object.keys(config).filter((k) => !['memory', 'maxDuration', 'includeFiles'].includes(k));
      if (ignored.length) notes.push(`vercel.json functions["${pattern}"]: ${ignored.sort().join(', ')} ignored (Runway applies memory, maxDuration and includeFiles)`);
    }
    functions.push(fn);
  }
  const unused = fnConfigs.map(([pattern]) => pattern).filter((p) => !used.has(p) && p.startsWith('api/'));
  if (unused.length > 0) {
    // Vercel's checkUnusedFunctions: a pattern for api/ that matches nothing is an error.
    throw new ZeroConfigError(`The pattern "${unused[0]}" defined in \`functions\` doesn't match any Serverless Functions inside the \`api\` directory.`);
  }

  const cleanUrls = vercel.cleanUrls === true;
  const trailingSlash = vercel.trailingSlash === true;
  const exts = [...new Set(functions.map((f) => path.posix.extname(f.entry).slice(1)))].sort();
  const extGroup = `(?:\\.(?:${exts.join('|')}))`;
  const routes: ApiPlan['routes'] = [];
  if (functions.length > 0) {
    if (cleanUrls) {
      routes.push({
        phase: null,
        routes: [
          { src: `^/(api(?:.+)?)/index${extGroup}?/?$`, headers: { Location: trailingSlash ? '/$1/' : '/$1' }, status: 308 },
          { src: `^/api/(.+)${extGroup}/?$`, headers: { Location: trailingSlash ? '/api/$1/' : '/api/$1' }, status: 308 },
        ],
      });
    } else {
      routes.push({ phase: 'miss', routes: [{ src: `^/api/(.+)${extGroup}$`, dest: '/api/$1', check: true }] });
    }
    // A function's own file name reaches it (`/api/hello.ts` → `/api/hello`) before the 404 below
    // (the miss-phase rule above comes after this phase), then dynamic functions, then a 404 for
    // the rest of /api (a static file there is served before).
    const byFileName = cleanUrls ? [] : [{ src: `^/api/(.+)${extGroup}$`, dest: '/api/$1', check: true }];
    routes.push({ phase: 'filesystem', routes: [...byFileName, ...dynamicRoutes, { src: '^/api(/.*)?$', status: 404 }] });
  }
  return { functions: functions.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)), routes, notes };
}

/**
 * Adds the plan's routes to a compiled config, each at the end of its phase (after the project's
 * own routes, as `vercel build` merges them), but before a runway.json `spa` fallback, which would
 * otherwise answer every dynamic function path with index.html.
 */
export function withApiRoutes(config: BuildOutputConfig, plan: ApiPlan): BuildOutputConfig {
  let routes = (config.routes ?? []) as VercelRoute[];
  const spa = routes.findIndex((r) => 'src' in r && r.src === '^/(?:[^/]*/)*[^/.]*$' && r.dest === '/index.html');
  const spaRoute = spa >= 0 ? routes[spa] : undefined;
  if (spaRoute) routes = routes.filter((_, i) => i !== spa);
  for (const { phase, routes: newRoutes } of plan.routes) {
    if (phase === null) routes = [...(newRoutes as VercelRoute[]), ...routes];
    else routes = appendRoutesToPhase({ routes, newRoutes: newRoutes as VercelRoute[], phase });
  }
  if (spaRoute) routes = appendRoutesToPhase({ routes, newRoutes: [spaRoute], phase: 'filesystem' });
  return { ...config, routes: routes as Route[] };
}

/** What esbuild the builder bundles with: its `build` function (the `esbuild` package's API). */
/**
 * A source's Edge runtime export, as Vercel's static config reads it: `export const runtime = 'edge'`
 * or `export const config = { runtime: 'edge' }` (also `experimental-edge`). Matched on the source
 * text (the builder has no TypeScript parser); other per-file exports (`maxDuration`, `memory`) are
 * not read — vercel.json `functions` sets those.
 */
export const EDGE_EXPORT = /export\s+const\s+(?:runtime\s*=\s*|config\s*=\s*\{[^}]*?\bruntime\s*:\s*)['"`](?:experimental-)?edge['"`]/;

export interface Esbuild {
  build(options: Record<string, unknown>): Promise<{ errors: Array<{ text: string }>; warnings: Array<{ text: string }> }>;
}

/**
 * Bundles each planned function into `<outputDir>/functions/<name>.func/` with its generated
 * `.vc-config.json`: `index.mjs` (ESM) or `index.cjs` (CommonJS) as the source is, dependencies
 * bundled from the project's node_modules (esbuild resolves from the source file up), target the
 * function's Node.js major.
 * @throws FunctionPackageError naming the function esbuild could not bundle, with esbuild's first errors
 */
export async function bundleApiFunctions(projectDir: string, plan: ApiPlan, outputDir: string, esbuild: Esbuild): Promise<void> {
  for (const fn of plan.functions) {
    const dir = path.join(outputDir, 'functions', ...`${fn.name}.func`.split('/'));
    await mkdir(dir, { recursive: true });
    const handler = fn.format === 'esm' ? 'index.mjs' : 'index.cjs';
    const edge = EDGE_EXPORT.exec(await readFile(path.join(projectDir, ...fn.entry.split('/')), 'utf8'));
    if (edge) {
      // Vercel reads a function's static config exports (`@vercel/static-config`); the one that
      // changes what the code is, the Edge runtime, is refused here as for a `.vc-config.json`.
      throw new FunctionPackageError(
        fn.name,
        `Function "${fn.name}" asks for the Edge runtime (${edge[0].replace(/\s+/g, ' ').slice(0, 80)}), which Runway does not run yet: remove it to run on Node.js and deploy again`,
      );
    }
    try {
      await esbuild.build({
        entryPoints: [path.join(projectDir, ...fn.entry.split('/'))],
        absWorkingDir: projectDir,
        outfile: path.join(dir, handler),
        bundle: true,
        platform: 'node',
        target: `node${fn.runtime.replace(/^nodejs(\d+)\.x$/, '$1')}`,
        format: fn.format,
        logLevel: 'silent',
        // CommonJS dependencies bundled into ESM still call require() for Node's built-ins.
        ...(fn.format === 'esm' ? { banner: { js: "import { createRequire as __rwCreateRequire } from 'node:module'; const require = __rwCreateRequire(import.meta.url);" } } : {}),
      });
    } catch (error) {
      const errors = (error as { errors?: Array<{ text: string; location?: { file: string; line: number } | null }> }).errors;
      const detail = errors?.length
        ? errors.slice(0, 3).map((e) => (e.location ? `${e.location.file}:${e.location.line}: ${e.text}` : e.text)).join('; ')
        : (error as Error).message;
      throw new FunctionPackageError(fn.name, `Function "${fn.name}": esbuild could not bundle ${fn.entry}: ${detail}`);
    }
    const vc: Record<string, unknown> = {
      runtime: fn.runtime,
      handler,
      launcherType: 'Nodejs',
      shouldAddHelpers: true,
      supportsResponseStreaming: true,
      ...(fn.memory !== undefined ? { memory: fn.memory } : {}),
      ...(fn.maxDuration !== undefined ? { maxDuration: fn.maxDuration } : {}),
    };
    await writeFile(path.join(dir, '.vc-config.json'), `${JSON.stringify(vc, null, 2)}\n`);
    if (fn.includeFiles !== undefined) await copyIncluded(projectDir, fn, dir, handler);
  }
}

/**
 * Copies the project files `fn.includeFiles` matches into the function's directory at their
 * project-relative paths. `node_modules` is searched only when the glob names it; `.git` and
 * `.vercel` never.
 * @throws FunctionPackageError when a match would replace the function's own handler or config
 */
async function copyIncluded(projectDir: string, fn: ApiFunction, funcDir: string, handler: string): Promise<void> {
  const glob = fn.includeFiles as string;
  const isMatch = picomatch(glob, { dot: true });
  const searchModules = glob.includes('node_modules');
  const walk = async (rel: string): Promise<void> => {
    for (const entry of await readdir(path.join(projectDir, rel), { withFileTypes: true })) {
      const file = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) {
        if (entry.name === '.git' || (rel === '' && entry.name === '.vercel') || (entry.name === 'node_modules' && !searchModules)) continue;
        await walk(file);
      } else if (entry.isFile() && isMatch(file)) {
        if (file === handler || file === '.vc-config.json') {
          throw new FunctionPackageError(fn.name, `Function "${fn.name}": includeFiles matches ${file}, which would replace the function's own ${file}`);
        }
        await mkdir(path.dirname(path.join(funcDir, file)), { recursive: true });
        await copyFile(path.join(projectDir, file), path.join(funcDir, file));
      }
    }
  };
  await walk('');
}

/**
 * The Lambda runtime for an `engines.node` range: the newest supported major the range allows, as
 * Vercel picks it (build-utils `getSupportedNodeVersion`: the first option whose range
 * `intersects` it); {@link DEFAULT_NODE_RUNTIME} without one.
 * @throws ZeroConfigError when the range allows none of them
 */
export function nodeRuntime(engines: string | undefined): string {
  if (engines === undefined || engines.trim() === '') return DEFAULT_NODE_RUNTIME;
  const found = semver.validRange(engines) ? NODE_MAJORS.find((o) => semver.intersects(o.range, engines)) : undefined;
  if (!found) {
    throw new ZeroConfigError(`Found invalid or discontinued Node.js Version: "${engines}". Please set "engines": { "node": "22.x" } in your \`package.json\` file (Runway runs ${NODE_MAJORS.map((o) => o.range).join(', ')}).`);
  }
  return found.runtime;
}

function formatOf(ext: string, type: unknown): 'esm' | 'cjs' {
  if (ext === '.mjs' || ext === '.mts') return 'esm';
  if (ext === '.cjs' || ext === '.cts') return 'cjs';
  return type === 'module' ? 'esm' : 'cjs';
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

// ---- Ported from vercel/vercel packages/fs-detectors/src/detect-builders.ts ----------------------

/** `[id].ts` → `id`; `null` for a plain segment. */
function segmentName(segment: string): string | null {
  const { name } = path.posix.parse(segment);
  return name.startsWith('[') && name.endsWith(']') ? name.slice(1, -1) : null;
}

function conflictingSegment(file: string): string | null {
  const seen = new Set<string>();
  for (const segment of file.split('/')) {
    const name = segmentName(segment);
    if (name !== null && seen.has(name)) return name;
    if (name) seen.add(name);
  }
  return null;
}

/** The path with its extension dropped and every placeholder replaced by `1`: two files with the same one serve the same URLs. */
function absolutePath(file: string): string {
  const { dir, name } = path.posix.parse(file);
  return `${dir}/${name}`
    .replace(/\/{2,}/g, '/')
    .split('/')
    .map((part) => part.replace(/\[.*\]/, '1'))
    .join('/');
}

/** Two paths whose segments agree up to a placeholder that is named differently at the same place. */
function partiallyMatches(a: string, b: string): boolean {
  const partsA = a.split('/');
  const partsB = b.split('/');
  const long = partsA.length > partsB.length ? partsA : partsB;
  const short = long === partsA ? partsB : partsA;
  for (let i = 0; i < short.length; i++) {
    const nameLong = segmentName(long[i]!);
    const nameShort = segmentName(short[i]!);
    if (short[i] !== long[i] && (!nameLong || !nameShort)) return false;
    if (nameLong !== nameShort) return true;
  }
  return false;
}

function bySegmentCount(a: string, b: string): number {
  const lengthA = a.split('/').length;
  const lengthB = b.split('/').length;
  if (lengthA !== lengthB) return lengthB - lengthA;
  // Vercel's reducer: the count of placeholders at the end of the path (a plain segment resets it).
  const count = (prev: number, segment: string) => (segmentName(segment) ? prev + 1 : 0);
  const placeholdersA = a.split('/').reduce(count, 0);
  const placeholdersB = b.split('/').reduce(count, 0);
  if (placeholdersA !== placeholdersB) return placeholdersA - placeholdersB;
  return a.localeCompare(b);
}

const escapeName = (name: string): string => name.replace(/[[\]^$.|?*+()]/g, (c) => `\\${c}`);

/** `createRouteFromPath` with `featHandleMiss` (what `vercel build` uses): the route a dynamic function needs. */
function routeFromPath(file: string, name: string): { route: Route; isDynamic: boolean } {
  const parts = file.split('/');
  let counter = 1;
  const query: string[] = [];
  let isDynamic = false;
  const srcParts = parts.map((segment, i) => {
    const param = segmentName(segment);
    if (param !== null) {
      query.push(`${param}=$${counter++}`);
      isDynamic = true;
      return '([^/]+)';
    }
    if (i === parts.length - 1) {
      const { name: fileName, ext } = path.posix.parse(segment);
      const isIndex = fileName === 'index';
      const prefix = isIndex ? '/' : '';
      const names = [isIndex ? prefix : `${fileName}/`, prefix + escapeName(fileName), prefix + escapeName(fileName) + escapeName(ext)].filter(Boolean);
      return `(${names.join('|')})${isIndex ? '?' : ''}`;
    }
    return segment;
  });
  const isIndex = path.posix.parse(file).name === 'index';
  const src = isIndex ? `^/${srcParts.slice(0, -1).join('/')}${srcParts.at(-1)}$` : `^/${srcParts.join('/')}$`;
  return { route: { src, dest: `/${name}${query.length ? `?${query.join('&')}` : ''}`, check: true }, isDynamic };
}

/**
 * The esbuild the builder bundles `api/` with: the version the platform itself builds with (a test
 * keeps the two equal). The builder is one bundled file and esbuild is a native binary per
 * platform, so it is installed from the npm registry into the build's own tool directory when a
 * project has `api/` functions, with the install's npm cache (saved with the build cache).
 */
export const ESBUILD_VERSION = '0.28.2';

/** Loads the esbuild package installed under `toolsDir` (its CommonJS main, imported by file URL at run time). */
export async function importInstalledEsbuild(toolsDir: string): Promise<Esbuild> {
  const main = path.join(toolsDir, 'node_modules', 'esbuild', 'lib', 'main.js');
  const mod = (await import(pathToFileURL(main).href)) as { default?: Esbuild } & Esbuild;
  return mod.default ?? mod;
}

/** The npm command that installs {@link ESBUILD_VERSION} into a tool directory (it needs a package.json). */
export async function prepareToolsDir(toolsDir: string): Promise<string> {
  await mkdir(toolsDir, { recursive: true });
  await writeFile(path.join(toolsDir, 'package.json'), '{"private":true}\n');
  return `npm install --no-save --no-package-lock --no-audit --no-fund --loglevel=error esbuild@${ESBUILD_VERSION}`;
}
