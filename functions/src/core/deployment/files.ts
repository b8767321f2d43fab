import * as z from 'zod';
import { pathProblem, safePath } from '#core/build/contract';
import { Sha256Hex } from '#core/schemas';

/** Longest file path, in UTF-8 bytes (the build contract's rule). */
export { MAX_PATH_BYTES } from '#core/build/contract';

/** Most files one deployment may have. */
export const MAX_FILES = 20_000;
/**
 * Largest single file, in bytes (10 MiB). Files go straight to storage (`POST /v1/files/uploads`);
 * only small ones (lib/limits.ts `MAX_BINARY_BODY_BYTES`) may pass through the API.
 */
export const MAX_FILE_BYTES = 10 * 1024 * 1024;

/**
 * Why a file path is unsafe, or `undefined` when it is clean: the build contract's one
 * safe-relative-path rule (`pathProblem`), the same the builder applies to its output.
 */
export const filePathProblem = pathProblem;

export const FilePath = safePath('file path');

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
