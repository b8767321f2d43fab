import * as z from 'zod';
import { Sha256Hex } from '#core/schemas';

/** Longest file path, in UTF-8 bytes: S3 keys are ≤ 1024 bytes. */
export const MAX_PATH_BYTES = 1024;
/** Most files one deployment may have. */
export const MAX_FILES = 20_000;
/** Largest single file: what one `POST /v1/files` can carry through API Gateway. */
export const MAX_FILE_BYTES = 10 * 1024 * 1024;

/**
 * Why a file path is unsafe, or `undefined` when it is a clean POSIX relative path: not empty,
 * ≤ 1024 UTF-8 bytes, no leading `/`, no backslash, no NUL or other control character, and no
 * empty, `.` or `..` segment. Anything else could escape the deployment's prefix, alias another
 * file after normalization, or confuse the CDN.
 */
export function filePathProblem(path: string): string | undefined {
  if (path.length === 0) return 'is empty';
  if (Buffer.byteLength(path, 'utf8') > MAX_PATH_BYTES) return `is longer than ${MAX_PATH_BYTES} bytes`;
  if (path.startsWith('/')) return 'must be relative (no leading "/")';
  if (path.includes('\\')) return 'must use "/" as separator (no "\\")';
  for (const char of path) {
    const code = char.codePointAt(0) as number;
    if (code < 0x20 || code === 0x7f) return 'contains a control character';
  }
  for (const segment of path.split('/')) {
    if (segment === '') return 'has an empty segment ("//" or a trailing "/")';
    if (segment === '.' || segment === '..') return `has a "${segment}" segment`;
  }
  return undefined;
}

export const FilePath = z.string().superRefine((path, ctx) => {
  const problem = filePathProblem(path);
  if (problem) ctx.addIssue({ code: 'custom', message: `file path ${problem}` });
});

export const DeploymentFile = z.strictObject({
  file: FilePath,
  sha: Sha256Hex,
  size: z.number().int().min(0).max(MAX_FILE_BYTES),
});
export type DeploymentFile = z.infer<typeof DeploymentFile>;

/** A deployment's files: 1–20,000, each path once. */
export const FileList = z
  .array(DeploymentFile)
  .min(1)
  .max(MAX_FILES)
  .superRefine((files, ctx) => {
    const seen = new Set<string>();
    files.forEach((f, i) => {
      if (seen.has(f.file)) ctx.addIssue({ code: 'custom', path: [i, 'file'], message: 'duplicate file path' });
      seen.add(f.file);
    });
  });
