import { ApiError, api, putDirect } from './api.ts';
import type { DeploymentInfo, DirectUpload, UploadBatch } from './types.ts';

/**
 * Deploying files from the browser, by the API's upload protocol: hash every file, ask for a
 * deployment, upload only what the API says it is missing (`missing_files`) straight to storage
 * (upload URLs, PUT, complete), ask again.
 */

/**
 * The API's limits (functions/src/core/deployment/files.ts: values, not types, so restated here;
 * the e2e suite checks they are equal). Checked before hashing, so a too-big folder fails at once.
 */
export const MAX_FILE_BYTES = 10 * 1024 * 1024;
export const MAX_FILES = 20_000;

/** Never deployed: version control, dependencies (the build installs them) and OS litter. */
const IGNORED_SEGMENTS = new Set(['.git', 'node_modules', '.DS_Store', 'Thumbs.db']);
/** Files hashed or uploaded at once: enough to fill the pipe, few enough not to hog memory. */
const CONCURRENCY = 4;
/**
 * Files per upload batch (upload URLs, PUTs, complete): the API takes up to 100, but its URLs
 * live 15 minutes, which 20 files of up to 10 MB at 4 at a time fit even on a slow link.
 */
const UPLOAD_BATCH = 20;

export interface PickedFile {
  /** Path in the deployment: `/`-separated, relative to the picked folder. */
  path: string;
  file: File;
}

export interface Picked {
  files: PickedFile[];
  /** How many files were left out by IGNORED_SEGMENTS. */
  ignored: number;
}

/**
 * The deployment's paths: `.git`, `node_modules` and OS files left out, and the picked folder's
 * own name stripped (`site/index.html` → `index.html`), as when deploying from inside it.
 */
export function toDeployment(entries: Array<{ path: string; file: File }>): Picked {
  const kept = entries.filter((e) => !e.path.split('/').some((segment) => IGNORED_SEGMENTS.has(segment)));
  const tops = new Set(kept.map((e) => (e.path.includes('/') ? e.path.slice(0, e.path.indexOf('/')) : '')));
  const [top] = tops;
  const strip = tops.size === 1 && top ? top.length + 1 : 0;
  return { files: kept.map((e) => ({ path: e.path.slice(strip), file: e.file })).sort((a, b) => a.path.localeCompare(b.path)), ignored: entries.length - kept.length };
}

/** Files of an `<input type=file webkitdirectory>`, whose names carry their path from the picked folder. */
export function fromInput(list: FileList): Picked {
  return toDeployment([...list].map((file) => ({ path: file.webkitRelativePath || file.name, file })));
}

/** Files and folders dropped on the page, folders walked recursively. */
export async function fromDrop(transfer: DataTransfer): Promise<Picked> {
  // Read synchronously: the items are emptied once the drop event's handler returns.
  const dropped = [...transfer.items].filter((item) => item.kind === 'file').map((item) => ({ entry: item.webkitGetAsEntry(), file: item.getAsFile() }));
  const entries: Array<{ path: string; file: File }> = [];
  const walk = async (entry: FileSystemEntry): Promise<void> => {
    if (entry.isFile) {
      const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
      entries.push({ path: entry.fullPath.replace(/^\/+/, ''), file });
      return;
    }
    const reader = (entry as FileSystemDirectoryEntry).createReader();
    // readEntries answers in batches (about 100 at a time in Chromium) until an empty one.
    for (;;) {
      const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
      if (batch.length === 0) break;
      for (const child of batch) await walk(child);
    }
  };
  for (const { entry, file } of dropped) {
    // Without an entry (a browser without the Entries API), a dropped file still counts; a folder cannot.
    if (entry) await walk(entry);
    else if (file) entries.push({ path: file.name, file });
  }
  return toDeployment(entries);
}

/** Why these files cannot be deployed, or undefined. */
export function problemWith(picked: Picked): string | undefined {
  if (picked.files.length === 0) return picked.ignored > 0 ? 'The folder has only .git, node_modules or system files: nothing to deploy.' : 'The folder is empty: pick the folder that holds your site.';
  if (picked.files.length > MAX_FILES) return `The folder has ${picked.files.length.toLocaleString('en')} files; a deployment holds at most ${MAX_FILES.toLocaleString('en')}. Pick the build output folder instead.`;
  const big = picked.files.find((f) => f.file.size > MAX_FILE_BYTES);
  if (big) return `${big.path} is ${formatBytes(big.file.size)}; each file can be at most ${formatBytes(MAX_FILE_BYTES)}.`;
  return undefined;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export type DeployProgress = { phase: 'hashing' | 'uploading'; done: number; total: number } | { phase: 'creating' };

/**
 * Deploys the files to the project: 201 deployment (QUEUED). Throws ApiError as the API answered.
 */
export async function deployPicked(project: string, target: 'production' | 'preview', picked: Picked, onProgress: (p: DeployProgress) => void): Promise<DeploymentInfo> {
  let hashed = 0;
  onProgress({ phase: 'hashing', done: 0, total: picked.files.length });
  const files = await pool(picked.files, async ({ path, file }) => {
    const sha = hex(await crypto.subtle.digest('SHA-256', await file.arrayBuffer()));
    onProgress({ phase: 'hashing', done: ++hashed, total: picked.files.length });
    return { file: path, sha, size: file.size, blob: file as Blob };
  });
  const body = { project, target, files: files.map(({ file, sha, size }) => ({ file, sha, size })) };
  onProgress({ phase: 'creating' });
  try {
    return await api<DeploymentInfo>('POST', '/v1/deployments', body);
  } catch (error) {
    if (!(error instanceof ApiError && error.code === 'missing_files')) throw error;
    // Identical files share a sha: each is uploaded once.
    const missing = [...new Set(error.details.missing as string[])];
    const bySha = new Map(files.map((f) => [f.sha, f]));
    let uploaded = 0;
    onProgress({ phase: 'uploading', done: 0, total: missing.length });
    for (let i = 0; i < missing.length; i += UPLOAD_BATCH) {
      const batch: UploadBatch = {
        files: missing.slice(i, i + UPLOAD_BATCH).map((sha) => {
          const file = bySha.get(sha);
          if (!file) throw new Error(`The API asked for a file this folder does not have (${sha.slice(0, 12)}…). Deploy again.`);
          return { sha, size: file.size };
        }),
      };
      // URLs only for what the team still lacks; the rest count as done.
      const { uploads } = await api<{ uploads: DirectUpload[] }>('POST', '/v1/files/uploads', batch);
      uploaded += batch.files.length - uploads.length;
      await pool(uploads, async (upload) => {
        await putDirect(upload, (bySha.get(upload.sha) as { blob: Blob }).blob);
        onProgress({ phase: 'uploading', done: ++uploaded, total: missing.length });
      });
      await api('POST', '/v1/files/uploads/complete', batch);
    }
    onProgress({ phase: 'creating' });
    return await api<DeploymentInfo>('POST', '/v1/deployments', body);
  }
}

function hex(digest: ArrayBuffer): string {
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Maps with at most CONCURRENCY calls in flight, keeping the order; the first failure stops it. */
async function pool<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i] as T);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, worker));
  return results;
}
