import type { Framework, Manifest } from '../build/contract.ts';
import type { FunctionConfig } from '../functions/config.ts';
import type { BuildOutputConfig } from './schema.ts';

/**
 * The deployment index: what the edge's router needs to answer any request of one deployment —
 * its Build Output API v3 `config.json` (compiled routes, overrides) and its file list (path → blob
 * sha, size, content type) — written once by finalize to `routes/<deploymentId>.json` and never
 * changed (a deployment is immutable). The edge (local edge, Lambda@Edge origin-request) reads it
 * once per deployment and keeps it in memory; static files are served from the team's
 * content-addressed blobs (`blobs/<teamId>/<sha>`), so finalize copies nothing.
 *
 * Plain data and functions only: the Lambda@Edge bundle imports this file (no zod, no SDK).
 */

/** One file: `[sha256 hex, size in bytes, Content-Type]` (arrays keep a 20,000-file index small). */
export type IndexFile = readonly [sha: string, size: number, contentType: string];

export interface DeploymentIndex {
  version: 1;
  deploymentId: string;
  /** Owner of the blobs the files name: `blobs/<teamId>/<sha>`. */
  teamId: string;
  framework: Framework;
  /** The deployment's Build Output API config: compiled routes and overrides. */
  config: BuildOutputConfig;
  /** Path under `static/` (no leading `/`) → file. */
  files: Record<string, IndexFile>;
  /** Path prefixes whose files are content-hashed by the framework: cached for a year, immutable. */
  immutable: string[];
  /**
   * True when a route depends on the request's host, headers or cookies (`has`/`missing`): the
   * edge cache is keyed on the deployment, path and query only, so such answers are not kept there.
   */
  varies: boolean;
  /**
   * The deployment's functions (absent when it has none): name → what the edge needs to send a
   * request there. The router finds a function at each of its `paths` in the filesystem phase, as
   * Build Output API v3 serves `functions/<path>.func` at `/<path>`.
   */
  functions?: Record<string, IndexFunction>;
}

/** One function as the edge sees it (the zip's sha names the code; the config is the validated `.vc-config.json`). */
export interface IndexFunction {
  /** sha256 of the function's zip blob (`blobs/<teamId>/<sha>`). */
  sha: string;
  /** Function paths served by it, no leading "/", e.g. `api/hello`. */
  paths: string[];
  runtime: string;
  supportsResponseStreaming: boolean;
  maxDurationSeconds: number;
}

/**
 * Directories each framework fills with content-hashed file names only, from the frameworks' own
 * build output layouts: Vite `build.assetsDir` default `assets` (https://vite.dev/config/build-options#build-assetsdir),
 * Astro `build.assets` default `_astro` (https://docs.astro.build/en/reference/configuration-reference/#buildassets),
 * Next.js `_next/static` (https://nextjs.org/docs/app/api-reference/config/next-config-js/assetPrefix),
 * SvelteKit `_app/immutable` (https://svelte.dev/docs/kit/configuration#appDir). A framework that
 * writes its own `.vercel/output/config.json` marks its immutable files with header routes
 * instead, which the router applies (and which win over these).
 */
export const IMMUTABLE_PREFIXES: Readonly<Record<Framework, readonly string[]>> = {
  static: [],
  vite: ['assets/'],
  astro: ['_astro/'],
  nextjs: ['_next/static/'],
  eleventy: [],
  'build-script': [],
};

/** SvelteKit's immutable app directory: present in its static and Vercel-adapter output alike. */
const SVELTEKIT_IMMUTABLE = '_app/immutable/';

/** A year, in seconds: the longest `max-age` RFC 9111 §1.2.2 advises and CloudFront's maximum TTL default. */
export const YEAR_SECONDS = 31_536_000;
/** Browsers: hashed files never change under their URL. */
export const IMMUTABLE_CACHE_CONTROL = `public, max-age=${YEAR_SECONDS}, immutable`;
/**
 * Browsers revalidate (the same URL serves another deployment after a promote); the CDN keeps the
 * answer for the deployment's lifetime (its cache key names the deployment). The viewer-response
 * function removes `s-maxage` before the browser sees it.
 */
export const REVALIDATE_CACHE_CONTROL = `public, max-age=0, must-revalidate, s-maxage=${YEAR_SECONDS}`;
/** Answers the CDN must not keep: they depend on what its cache key leaves out. */
export const REVALIDATE_UNCACHED = 'public, max-age=0, must-revalidate';

/** The artifact-bucket key of a deployment's index. */
export const deploymentIndexKey = (deploymentId: string): string => `routes/${deploymentId}.json`;

/**
 * Builds the index of a READY deployment from its (validated) manifest and compiled config.
 * @param input.config the Build Output API config finalize compiled or validated
 * @param input.functions the manifest's functions with their configs validated again by finalize
 *   (`parseFunctionConfig`); none for a static deployment (and for the backfill's older ones)
 */
export function buildDeploymentIndex(input: {
  deploymentId: string;
  teamId: string;
  manifest: Pick<Manifest, 'framework' | 'files'>;
  config: BuildOutputConfig;
  functions?: ReadonlyArray<{ name: string; sha: string; paths: readonly string[]; config: FunctionConfig }>;
}): DeploymentIndex {
  const files: Record<string, IndexFile> = Object.create(null) as Record<string, IndexFile>;
  for (const [path, file] of Object.entries(input.manifest.files)) files[path] = [file.sha, file.size, file.contentType];
  const immutable = [...IMMUTABLE_PREFIXES[input.manifest.framework]];
  if (Object.keys(files).some((p) => p.startsWith(SVELTEKIT_IMMUTABLE))) immutable.push(SVELTEKIT_IMMUTABLE);
  return {
    version: 1,
    deploymentId: input.deploymentId,
    teamId: input.teamId,
    framework: input.manifest.framework,
    config: input.config,
    files: { ...files },
    immutable,
    varies: routesVary(input.config.routes ?? []),
    ...(input.functions?.length ? { functions: indexFunctions(input.functions) } : {}),
  };
}

function indexFunctions(functions: NonNullable<Parameters<typeof buildDeploymentIndex>[0]['functions']>): Record<string, IndexFunction> {
  const out: Record<string, IndexFunction> = Object.create(null) as Record<string, IndexFunction>;
  for (const fn of functions) {
    out[fn.name] = {
      sha: fn.sha,
      paths: [...fn.paths],
      runtime: fn.config.runtime,
      supportsResponseStreaming: fn.config.supportsResponseStreaming,
      maxDurationSeconds: fn.config.maxDurationSeconds,
    };
  }
  return { ...out };
}

/** True when any route has a `has`/`missing` condition on something other than the query. */
export function routesVary(routes: readonly unknown[]): boolean {
  return routes.some((route) => {
    if (typeof route !== 'object' || route === null) return false;
    const r = route as { has?: Array<{ type?: string }>; missing?: Array<{ type?: string }> };
    return [...(r.has ?? []), ...(r.missing ?? [])].some((c) => c.type !== 'query');
  });
}

/**
 * `Cache-Control` of a file answer when no route header sets one: year-long immutable for files
 * under the framework's hashed prefixes ({@link IMMUTABLE_PREFIXES}, never HTML), otherwise
 * browsers revalidate and the CDN keeps it for the deployment's lifetime.
 */
export function cacheControlFor(index: Pick<DeploymentIndex, 'immutable' | 'varies'>, path: string, contentType: string): string {
  const html = /^text\/html/i.test(contentType);
  if (!html && index.immutable.some((prefix) => path.startsWith(prefix))) return IMMUTABLE_CACHE_CONTROL;
  return index.varies ? REVALIDATE_UNCACHED : REVALIDATE_CACHE_CONTROL;
}
