import { copyFile, mkdir, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';

/**
 * Prerendered pages of Build Output API v3 (Incremental Static Regeneration): beside a function
 * `functions/<name>.func` a framework may write `functions/<name>.prerender-config.json` and the
 * page as rendered at build time, its `fallback`
 * (https://vercel.com/docs/build-output-api/v3/primitives#prerender-functions). The config names
 * the fallback as a path relative to itself — a string in the documented format, or
 * `{ type: 'FileFsRef', fsPath }` as `vercel build` serializes it for Next.js (vercel/vercel
 * packages/cli/src/util/build/write-build-result.ts).
 *
 * Runway serves each HTML fallback as a static file at the function's path, so the page comes from
 * the CDN like any file, with the function behind it for everything the file does not answer
 * (other paths the function serves, RSC requests, methods other than GET/HEAD). What is missing:
 * revalidation — the fallback stays what the build rendered (no `expiration` timer, no on-demand
 * `bypassToken` revalidation, no background regeneration); `initialHeaders`/`initialStatus` are
 * not applied; `allowQuery` is moot (the file answers every query).
 */

/** One fallback put in place. */
export interface PrerenderFallback {
  /** The function's name, e.g. `isr`. */
  name: string;
  /** The static path it is served at (relative to `static/`), e.g. `isr/index.html`. */
  path: string;
}

const CONFIG_SUFFIX = '.prerender-config.json';

/**
 * Copies every HTML prerender fallback of `outputDir` (a `.vercel/output`) into `outputDir/static`:
 * the fallback of `<name>` becomes `static/<name>/index.html` (the router serves `/<name>` from it;
 * `static/index.html` for the function `index`, which serves `/`). Non-HTML fallbacks (Next.js'
 * `.rsc` payloads, route-handler bodies) stay behind the function. A static file already at the
 * path wins: nothing is overwritten.
 * @returns the fallbacks put in place, sorted by name
 * @throws when a prerender config is not JSON, or names a fallback outside `functions/`
 */
export async function materializePrerenderFallbacks(outputDir: string): Promise<PrerenderFallback[]> {
  const functionsDir = path.join(outputDir, 'functions');
  let entries: string[];
  try {
    entries = (await readdir(functionsDir, { recursive: true })).map(String);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const done: PrerenderFallback[] = [];
  for (const entry of entries.filter((e) => e.endsWith(CONFIG_SUFFIX)).sort()) {
    const name = entry.slice(0, -CONFIG_SUFFIX.length).split(path.sep).join('/');
    const configPath = path.join(functionsDir, entry);
    let config: { fallback?: unknown };
    try {
      config = JSON.parse(await readFile(configPath, 'utf8')) as { fallback?: unknown };
    } catch (cause) {
      throw new Error(`${path.posix.join('functions', name)}${CONFIG_SUFFIX} is not valid JSON`, { cause });
    }
    const relative = fallbackPath(config.fallback);
    if (relative === undefined || !relative.endsWith('.html')) continue;
    const source = path.resolve(path.dirname(configPath), relative);
    if (!source.startsWith(functionsDir + path.sep)) throw new Error(`the prerender fallback of ${name} (${relative}) is outside functions/`);
    const target = name === 'index' ? 'index.html' : `${name}/index.html`;
    const targetPath = path.join(outputDir, 'static', target);
    if ((await exists(targetPath)) || (await isFile(path.join(outputDir, 'static', name)))) continue;
    await mkdir(path.dirname(targetPath), { recursive: true });
    await copyFile(source, targetPath);
    done.push({ name, path: target });
  }
  return done;
}

function fallbackPath(fallback: unknown): string | undefined {
  if (typeof fallback === 'string') return fallback;
  if (typeof fallback === 'object' && fallback !== null && typeof (fallback as { fsPath?: unknown }).fsPath === 'string') return (fallback as { fsPath: string }).fsPath;
  return undefined;
}

async function exists(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined)) !== undefined;
}

async function isFile(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isFile() ?? false;
}
