import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, mkdir, readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ZipFile } from 'yazl';
import { fsOutputTree } from '../adapters/output-tree/fs.ts';
import type { ManifestFunction } from '../core/build/contract.ts';
import { type ConfigNote, LAMBDA_LIMITS, toVcConfig } from '../core/functions/config.ts';
import { type DeploymentFunction, readFunctions } from '../core/functions/tree.ts';
import { hashFile } from './manifest.ts';
import { isInside } from './paths.ts';

/**
 * Functions of a Build Output API v3 directory, packaged for deployment: each `.func` becomes one
 * deterministic zip (what Lambda's CreateFunction takes), stored as a blob of the team like any
 * output file.
 */

/** A function that cannot be deployed (too big, a symlink leading out of the source); names it. */
export class FunctionPackageError extends Error {
  override name = 'FunctionPackageError';
  readonly function: string;
  constructor(fn: string, message: string) {
    super(message);
    this.function = fn;
  }
}

/** One packaged function: its manifest entry and where its zip is on disk. */
export interface PackagedFunction {
  name: string;
  entry: ManifestFunction;
  /** The zip on disk (under the work directory). */
  zipPath: string;
}

/**
 * Every entry's mtime in the zip: the instant vercel/vercel's build-utils uses (`lambda.ts`
 * `createZip`, `new Date(1540000000000)`, 2018-10-20T01:46:40Z), so equal files give byte-equal
 * zips. A zip's DOS timestamp is a wall-clock time that yazl takes in the process's time zone, so
 * the date is shifted to give the UTC wall-clock time in any zone, and the extended (Unix) timestamp
 * field is left out (`forceDosTimestamp`): the zip is the same wherever the builder runs.
 */
const ZIP_MTIME_UTC = 1_540_000_000_000;
const zipMtime = (): Date => new Date(ZIP_MTIME_UTC + new Date(ZIP_MTIME_UTC).getTimezoneOffset() * 60_000);

interface ZipEntry {
  /** Path inside the zip (function-relative, POSIX). */
  name: string;
  /** The bytes on disk (a symlink's target). */
  absPath: string;
  /** Unix permission bits. */
  mode: number;
  size: number;
}

/**
 * Reads every function of `outputDir` (`.vercel/output`) with `readFunctions` and packages each
 * into a zip under `workDir`: the `.func` directory's files (symlinks resolved to the bytes they
 * lead to, as long as those are inside `repoRoot`), plus each `filePathMap` entry copied from
 * `repoRoot` (Vercel's `filePathMap` values are relative to the repository root:
 * vercel/vercel packages/cli/src/util/build/write-build-result.ts `filesWithoutFsRefs`). Entries are
 * sorted, every mtime is 2018-10-20T01:46:40 UTC (build-utils' date) and modes are kept, so an unchanged function gives the
 * same zip (and sha) in every build.
 * @returns the functions sorted by name, and the notes config parsing made (for the build log)
 * @throws FunctionConfigError (from `readFunctions`: edge runtime, bad config, …) or
 *   FunctionPackageError (larger than Lambda's 250 MB unzipped, a symlink or filePathMap file that
 *   leaves the source, a missing filePathMap file), both naming the function
 */
export async function packageFunctions(
  outputDir: string,
  repoRoot: string,
  workDir: string,
  options: { maxUnzippedBytes?: number } = {},
): Promise<{ functions: PackagedFunction[]; notes: ConfigNote[] }> {
  const { functions, notes } = await readFunctions(fsOutputTree(outputDir));
  const maxUnzipped = options.maxUnzippedBytes ?? LAMBDA_LIMITS.maxUnzippedBytes;
  const root = await realpath(repoRoot);
  await mkdir(workDir, { recursive: true });
  const packaged: PackagedFunction[] = [];
  for (const fn of functions) {
    const entries = await functionEntries(fn, path.join(outputDir, fn.dir), root);
    const unzippedSize = entries.reduce((sum, e) => sum + e.size, 0);
    if (unzippedSize > maxUnzipped) {
      throw new FunctionPackageError(
        fn.name,
        `Function "${fn.name}" is ${formatMb(unzippedSize)} unzipped; Lambda allows ${formatMb(maxUnzipped)} (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html): leave files it does not need out of it`,
      );
    }
    const zipPath = path.join(workDir, `${packaged.length}.zip`);
    await writeZip(entries, zipPath);
    const { sha, size } = await hashFile(zipPath);
    packaged.push({ name: fn.name, zipPath, entry: { sha, size, unzippedSize, paths: [...fn.paths], config: toVcConfig(fn.config) } });
  }
  return { functions: packaged, notes };
}

/** The files of one function, sorted by name: its `.func` directory but `.vc-config.json`, then its filePathMap (which wins on a clash). */
async function functionEntries(fn: DeploymentFunction, dir: string, repoRoot: string): Promise<ZipEntry[]> {
  const byName = new Map<string, ZipEntry>();
  const walk = async (abs: string, rel: string, ancestors: ReadonlySet<string>): Promise<void> => {
    for (const dirent of (await readdir(abs, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const name = rel === '' ? dirent.name : `${rel}/${dirent.name}`;
      // The config is the deployment's, not the code's: Vercel's own zips leave it out too.
      if (rel === '' && dirent.name === '.vc-config.json') continue;
      const entryPath = path.join(abs, dirent.name);
      let target = entryPath;
      if (dirent.isSymbolicLink()) {
        target = await realpath(entryPath).catch(() => {
          throw new FunctionPackageError(fn.name, `Function "${fn.name}": symlink ${name} is dangling`);
        });
        if (!isInside(repoRoot, target)) throw new FunctionPackageError(fn.name, `Function "${fn.name}": symlink ${name} leads outside the source`);
      }
      const info = await stat(target);
      if (info.isDirectory()) {
        if (ancestors.has(target)) continue; // a link back to a directory it is inside: a cycle
        await walk(target, name, new Set(ancestors).add(target));
      } else if (info.isFile()) {
        byName.set(name, { name, absPath: target, mode: info.mode & 0o777, size: info.size });
      } else {
        throw new FunctionPackageError(fn.name, `Function "${fn.name}": ${name} is not a regular file or directory`);
      }
    }
  };
  const realDir = await realpath(dir);
  await walk(realDir, '', new Set([realDir]));
  for (const [inFunction, inRepo] of Object.entries(fn.config.filePathMap)) {
    const abs = path.join(repoRoot, ...inRepo.split('/'));
    const real = await realpath(abs).catch(() => {
      throw new FunctionPackageError(fn.name, `Function "${fn.name}": filePathMap file ${inRepo} does not exist in the source`);
    });
    if (!isInside(repoRoot, real)) throw new FunctionPackageError(fn.name, `Function "${fn.name}": filePathMap file ${inRepo} leads outside the source`);
    const info = await lstat(real);
    if (!info.isFile()) throw new FunctionPackageError(fn.name, `Function "${fn.name}": filePathMap entry ${inRepo} is not a file`);
    byName.set(inFunction, { name: inFunction, absPath: real, mode: info.mode & 0o777, size: info.size });
  }
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Writes a zip of `entries` (already sorted), each with the fixed mtime ({@link zipMtime}) and its mode. */
async function writeZip(entries: readonly ZipEntry[], file: string): Promise<void> {
  const zip = new ZipFile();
  const mtime = zipMtime();
  for (const entry of entries) {
    zip.addReadStream(createReadStream(entry.absPath), entry.name, { mtime, forceDosTimestamp: true, mode: entry.mode | 0o100000, size: entry.size });
  }
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(file));
}

const formatMb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
