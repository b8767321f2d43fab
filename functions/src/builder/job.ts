import * as z from 'zod';
import { assertSafeRelativePath, UnsafePathError } from './paths.ts';

/** Frameworks the builder knows; `build-script` is "any project with a build script". */
export const FRAMEWORKS = ['static', 'vite', 'astro', 'nextjs', 'eleventy', 'build-script'] as const;
export type Framework = (typeof FRAMEWORKS)[number];

const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'expected a lowercase hex sha256');
// Ids end up in URLs, S3 keys and file names.
const Id = z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, 'expected 1-128 characters of [A-Za-z0-9_-]');

const SourcePath = z.string().superRefine((value, ctx) => {
  try {
    assertSafeRelativePath(value, 'source file');
  } catch (error) {
    if (!(error instanceof UnsafePathError)) throw error;
    ctx.addIssue({ code: 'custom', message: error.message });
  }
});

export const SourceFileSchema = z.strictObject({
  file: SourcePath,
  sha: Sha256Hex,
  size: z.number().int().nonnegative(),
});

export const JobSourceSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('files'),
    files: z
      .array(SourceFileSchema)
      .max(100_000)
      .refine((files) => new Set(files.map((f) => f.file)).size === files.length, 'duplicate source file paths'),
  }),
  z.strictObject({
    /** A commit of the project's repository: `GET <upload URL>/tarball` redirects to its tarball. */
    type: z.literal('git'),
    commitSha: z.string().regex(/^[0-9a-f]{40}$/, 'expected a full commit sha'),
  }),
  z.strictObject({
    type: z.literal('tarball'),
    /** A GitHub-style tarball (one top-level directory, stripped on extraction). */
    url: z.url({ protocol: /^https?$/ }),
    sha: Sha256Hex,
  }),
]);

export const OverridesSchema = z.strictObject({
  rootDirectory: z.string().max(1024).optional(),
  /** `""` skips the install step. */
  installCommand: z.string().max(4096).optional(),
  /** `""` skips the build step. */
  buildCommand: z.string().max(4096).optional(),
  outputDirectory: z.string().max(1024).optional(),
  framework: z.enum(FRAMEWORKS).optional(),
});

/** What one build is asked to do. Unknown fields are rejected at every level. */
export const JobSchema = z.strictObject({
  deploymentId: Id,
  projectId: Id,
  source: JobSourceSchema,
  overrides: OverridesSchema.default({}),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'invalid env var name'), z.string()).default({}),
  sensitiveKeys: z.array(z.string()).default([]),
  /** Scope for the build cache (e.g. project + branch); the cache is off without it. */
  cacheKey: z.string().regex(/^[A-Za-z0-9._-]{1,128}$/, 'expected 1-128 characters of [A-Za-z0-9._-]').optional(),
});

export type Job = z.infer<typeof JobSchema>;
export type JobInput = z.input<typeof JobSchema>;
export type JobSource = z.infer<typeof JobSourceSchema>;
export type SourceFile = z.infer<typeof SourceFileSchema>;
export type Overrides = z.infer<typeof OverridesSchema>;

/** The job failed its schema; `issues` are zod's, safe to log (they hold no env values). */
export class InvalidJobError extends Error {
  override name = 'InvalidJobError';
}

/** Validates a job object; the message lists paths and problems, never values. */
export function parseJob(input: unknown): Job {
  const result = JobSchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new InvalidJobError(`invalid job: ${problems.join('; ')}`);
  }
  return result.data;
}
