import { createHash } from 'node:crypto';
import { createReadStream, type Dirent } from 'node:fs';
import { opendir, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { lookup } from 'mrmime';
import pLimit from 'p-limit';
import type { Framework, Manifest, ManifestFile } from '../core/build/contract.ts';
import { assertSafeRelativePath, isInside, UnsafePathError } from './paths.ts';

/** The immutable record of one deployment: every served path and the blob behind it (the build contract's `ManifestSchema`). */
export type { Manifest, ManifestFile };

export interface CollectedFile extends ManifestFile {
  /** POSIX path relative to the output directory: the manifest key. */
  path: string;
  /** Where the bytes are on disk (the target, for a symlink). */
  absPath: string;
}

/** The output contains something that cannot be deployed (symlink escape, socket, bad name). */
export class OutputError extends Error {
  override name = 'OutputError';
}

/** Top-level names left out when the output directory is the project root (static sites). */
export const ROOT_OUTPUT_EXCLUDES: readonly string[] = ['node_modules', 'runway.json', 'vercel.json', '.vercel', '.runway'];

export interface CollectOptions {
  /** The output directory is the project root: leave out {@link ROOT_OUTPUT_EXCLUDES} and `.env*`. */
  isProjectRoot?: boolean;
  /** @default 100_000 */
  maxFiles?: number;
  /** Files hashed at once. @default 8 */
  concurrency?: number;
  /** Told about every symlink left out because it loops back to a directory above it. */
  onCycle?: (linkPath: string, target: string) => void;
  /** More top-level names to leave out when the output is the project root (`api`, built into functions). */
  rootExcludes?: readonly string[];
}

/**
 * Walks the output directory and hashes every file, streaming each one so a large site never sits
 * in memory. `.git` directories are always skipped. Symlinks are followed only when their real
 * path stays inside the output directory. A symlinked directory keeps every URL: `latest -> v2`
 * lists the files under both `v2/` and `latest/` (same blobs, so nothing is stored twice); only a
 * real cycle — a link to a directory it is itself inside — is cut, and reported to `onCycle`.
 * @returns files sorted by path.
 * @throws OutputError for escaping or dangling symlinks, special files, too many files;
 *   UnsafePathError for names a manifest cannot hold.
 */
export async function collectOutput(outputDir: string, options: CollectOptions = {}): Promise<CollectedFile[]> {
  const maxFiles = options.maxFiles ?? 100_000;
  const root = await realpath(outputDir);
  const found: Array<{ path: string; absPath: string }> = [];

  // `ancestors`: the real paths of the directories on the way down to `dir` (itself included).
  const walk = async (dir: string, relDir: string, ancestors: ReadonlySet<string>): Promise<void> => {
    const handle = await opendir(dir);
    for await (const entry of handle) {
      const rel = relDir === '' ? entry.name : `${relDir}/${entry.name}`;
      if (isExcluded(entry, relDir, options.isProjectRoot ?? false)) continue;
      if (options.isProjectRoot && relDir === '' && options.rootExcludes?.includes(entry.name)) continue;
      const abs = path.join(dir, entry.name);
      let target = abs;
      let kind: 'file' | 'dir';
      if (entry.isSymbolicLink()) {
        try {
          target = await realpath(abs);
        } catch (cause) {
          throw new OutputError(`symlink ${rel} is dangling`, { cause });
        }
        if (!isInside(root, target)) throw new OutputError(`symlink ${rel} points outside the output directory`);
        const targetStat = await stat(target);
        kind = targetStat.isFile() ? 'file' : targetStat.isDirectory() ? 'dir' : unsupported(rel);
      } else {
        kind = entry.isFile() ? 'file' : entry.isDirectory() ? 'dir' : unsupported(rel);
      }
      if (kind === 'dir') {
        if (ancestors.has(target)) {
          options.onCycle?.(rel, path.relative(root, target) || '.');
          continue;
        }
        await walk(target, rel, new Set(ancestors).add(target));
        continue;
      }
      assertSafeRelativePath(rel, 'output file');
      found.push({ path: rel, absPath: target });
      if (found.length > maxFiles) throw new OutputError(`the output has more than ${maxFiles} files`);
    }
  };
  await walk(root, '', new Set([root]));

  found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const limit = pLimit(options.concurrency ?? 8);
  return Promise.all(
    found.map((file) =>
      limit(async () => {
        const { sha, size } = await hashFile(file.absPath);
        return { ...file, sha, size, contentType: contentTypeFor(file.path) };
      }),
    ),
  );
}

function isExcluded(entry: Dirent, relDir: string, isProjectRoot: boolean): boolean {
  if (entry.name === '.git') return true;
  if (!isProjectRoot || relDir !== '') return false;
  return ROOT_OUTPUT_EXCLUDES.includes(entry.name) || entry.name === '.env' || entry.name.startsWith('.env.');
}

function unsupported(rel: string): never {
  throw new OutputError(`${rel} is not a regular file or directory`);
}

/** sha256 (hex) and byte count of a file, read as a stream. */
export async function hashFile(filePath: string): Promise<{ sha: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  await pipeline(createReadStream(filePath), async function* (source: AsyncIterable<Buffer>) {
    for await (const chunk of source) {
      hash.update(chunk);
      size += chunk.length;
    }
  });
  return { sha: hash.digest('hex'), size };
}

/** Types that browsers need a charset for; output of every framework the builder knows is UTF-8. */
const UTF8_TYPES = new Set(['application/javascript', 'text/javascript', 'application/json', 'application/xml', 'image/svg+xml', 'application/manifest+json']);

/** Content-Type from the file extension; unknown extensions are served as bytes. */
export function contentTypeFor(filePath: string): string {
  const type = lookup(filePath);
  if (type === undefined) return 'application/octet-stream';
  return type.startsWith('text/') || UTF8_TYPES.has(type) ? `${type}; charset=utf-8` : type;
}

/**
 * runway.json and vercel.json at the project root, parsed but otherwise untouched.
 * @throws OutputError when one exists but is not valid JSON: routing it later would fail anyway.
 */
export async function readProjectConfig(projectDir: string): Promise<Manifest['config']> {
  const config: NonNullable<Manifest['config']> = {};
  for (const [file, key] of [['runway.json', 'runwayJson'], ['vercel.json', 'vercelJson']] as const) {
    let text: string;
    try {
      text = await readFile(path.join(projectDir, file), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    try {
      config[key] = JSON.parse(text) as unknown;
    } catch (cause) {
      throw new OutputError(`${file} is not valid JSON: ${(cause as Error).message}`, { cause });
    }
  }
  return Object.keys(config).length > 0 ? config : undefined;
}

/** Build Output API v3 directory a framework writes (https://vercel.com/docs/build-output-api). */
export const BUILD_OUTPUT_DIR = '.vercel/output';

/**
 * The framework's own Build Output API v3 output, when the build wrote one (SvelteKit's
 * `@sveltejs/adapter-vercel`, `@astrojs/vercel`, `vercel build`): its `config.json` (parsed, not
 * yet validated: the control plane does that) and `static/`, relative to the project.
 * @returns null when `<projectDir>/.vercel/output/config.json` does not exist
 * @throws OutputError when it exists but is not a JSON object with `version: 3`
 */
export async function readBuildOutput(projectDir: string): Promise<{ staticDir: string; config: Record<string, unknown>; hasFunctions: boolean } | null> {
  const dir = path.join(projectDir, BUILD_OUTPUT_DIR);
  let text: string;
  try {
    text = await readFile(path.join(dir, 'config.json'), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (cause) {
    throw new OutputError(`${BUILD_OUTPUT_DIR}/config.json is not valid JSON: ${(cause as Error).message}`, { cause });
  }
  if (typeof config !== 'object' || config === null || (config as { version?: unknown }).version !== 3) {
    throw new OutputError(`${BUILD_OUTPUT_DIR}/config.json must be a Build Output API v3 config ({"version": 3, ...})`);
  }
  const hasFunctions = await stat(path.join(dir, 'functions')).then((s) => s.isDirectory(), () => false);
  return { staticDir: `${BUILD_OUTPUT_DIR}/static`, config: config as Record<string, unknown>, hasFunctions };
}

export interface BuildManifestInput {
  deploymentId: string;
  framework: Framework;
  createdAt: Date;
  files: readonly CollectedFile[];
  config?: Manifest['config'];
  /** Function name → its packaged zip (builder/functions.ts). */
  functions?: Manifest['functions'];
}

/** Assembles the manifest; keys are validated again here because the manifest is the contract. */
export function buildManifest(input: BuildManifestInput): Manifest {
  const entries: Array<[string, ManifestFile]> = [];
  const seen = new Set<string>();
  for (const file of [...input.files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    assertSafeRelativePath(file.path, 'manifest path');
    if (seen.has(file.path)) throw new UnsafePathError(`duplicate manifest path ${file.path}`);
    seen.add(file.path);
    entries.push([file.path, { sha: file.sha, size: file.size, contentType: file.contentType }]);
  }
  // fromEntries defines own properties, so a file named "__proto__" stays a file.
  const files: Record<string, ManifestFile> = Object.fromEntries(entries);
  const manifest: Manifest = {
    version: 1,
    deploymentId: input.deploymentId,
    framework: input.framework,
    createdAt: input.createdAt.toISOString(),
    files,
  };
  if (input.config !== undefined) manifest.config = input.config;
  if (input.functions !== undefined) manifest.functions = Object.fromEntries(Object.entries(input.functions));
  return manifest;
}
