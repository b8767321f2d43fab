import { createReadStream } from 'node:fs';
import { copyFile, mkdir, readdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { packDir, unpackFile } from '../archive.ts';
import type { JobSource, SourceFile } from '../job.ts';
import { collectOutput, type Manifest } from '../manifest.ts';
import type { BlobStore, CacheStore, SourcePort } from '../ports.ts';
import { extractTarball, materializeFiles } from '../source.ts';

/**
 * The builder's ports over a local directory, for tests and offline runs. Layout under `root`:
 * `blobs/<sha>`, `manifests/<deploymentId>.json`, `cache/<key>.tar.gz`, `source/<sha>`.
 * Tarball sources must be `file:` URLs.
 */
export class FsStore implements BlobStore, CacheStore, SourcePort {
  readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  blobPath(sha: string): string {
    return path.join(this.root, 'blobs', sha);
  }

  manifestPath(deploymentId: string): string {
    return path.join(this.root, 'manifests', `${deploymentId}.json`);
  }

  async missing(shas: readonly string[]): Promise<string[]> {
    let present: Set<string>;
    try {
      present = new Set(await readdir(path.join(this.root, 'blobs')));
    } catch {
      present = new Set();
    }
    return [...new Set(shas)].filter((sha) => !present.has(sha));
  }

  async put(sha: string, filePath: string): Promise<void> {
    const dest = this.blobPath(sha);
    await mkdir(path.dirname(dest), { recursive: true });
    // Copy then rename, so a blob is never visible half-written.
    const tmp = `${dest}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    await copyFile(filePath, tmp);
    await rename(tmp, dest);
  }

  async putManifest(deploymentId: string, manifest: Manifest): Promise<void> {
    const dest = this.manifestPath(deploymentId);
    await mkdir(path.dirname(dest), { recursive: true });
    // Manifests are immutable: "wx" refuses to overwrite one.
    await writeFile(dest, `${JSON.stringify(manifest, null, 2)}\n`, { flag: 'wx' });
  }

  async restore(key: string, dir: string): Promise<boolean> {
    const file = this.#cacheFile(key);
    try {
      await unpackFile(file, dir);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  }

  async save(key: string, dir: string): Promise<void> {
    const file = this.#cacheFile(key);
    await mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    await packDir(dir, tmp);
    await rename(tmp, file);
  }

  async materialize(source: JobSource, dir: string): Promise<void> {
    if (source.type === 'files') {
      await materializeFiles(source.files, dir, async (sha) => createReadStream(path.join(this.root, 'source', sha)));
      return;
    }
    if (source.type === 'git') throw new Error('FsStore cannot fetch git sources: use a tarball source');
    const url = new URL(source.url);
    if (url.protocol !== 'file:') throw new Error(`FsStore reads file: tarballs only, got ${url.protocol}`);
    await extractTarball(createReadStream(fileURLToPath(url)), dir, source.sha);
  }

  /**
   * Stores every file under `dir` as a source blob and returns the matching `files` source, as the
   * control plane would after a CLI upload. Skips `node_modules` and `.git`.
   */
  async importSource(dir: string): Promise<Extract<JobSource, { type: 'files' }>> {
    const collected = await collectOutput(dir, { isProjectRoot: false });
    const files: SourceFile[] = [];
    await mkdir(path.join(this.root, 'source'), { recursive: true });
    for (const file of collected) {
      if (file.path.startsWith('node_modules/')) continue;
      await copyFile(file.absPath, path.join(this.root, 'source', file.sha));
      files.push({ file: file.path, sha: file.sha, size: file.size });
    }
    return { type: 'files', files };
  }

  #cacheFile(key: string): string {
    return path.join(this.root, 'cache', `${key}.tar.gz`);
  }
}
