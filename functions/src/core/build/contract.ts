import * as z from 'zod';

/**
 * The build contract: what the control plane and the builder (`functions/src/builder`, bundled on
 * its own for CodeBuild) exchange — the job, the manifest, the result line — and the rules both
 * sides check, so that neither can drift from the other. Plain TypeScript and zod only: the
 * builder's bundle must not pull in anything of the control plane.
 */

/** sha256 of some bytes: 64 lowercase hex characters. */
export const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be a lowercase hex sha256');

/** Framework presets; `build-script` is "any project with a build script". */
export const FRAMEWORKS = ['static', 'vite', 'astro', 'nextjs', 'nuxt', 'sveltekit', 'eleventy', 'build-script'] as const;
export type Framework = (typeof FRAMEWORKS)[number];

/**
 * Longest file path, in UTF-8 bytes. S3 object keys are at most 1024 bytes of UTF-8
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html), and a path is the key
 * of what it names; the deployment's own prefix is checked with {@link keyProblem}.
 */
export const MAX_PATH_BYTES = 1024;
/** Longest S3 object key, in UTF-8 bytes (same source as {@link MAX_PATH_BYTES}). */
export const MAX_KEY_BYTES = 1024;

const utf8Length = (text: string): number => new TextEncoder().encode(text).length;

/**
 * The one safe-relative-path rule, for uploaded files, source files and build output alike: why
 * `path` is unsafe, or `undefined` when it is a clean POSIX relative path — not empty, at most
 * {@link MAX_PATH_BYTES} UTF-8 bytes, no leading `/`, no backslash, no control character (NUL,
 * tab, newline, DEL…), and no empty, `.` or `..` segment. The rule is by segment: `..` inside a
 * name (`_...slug_.7d33a135.css`) is an ordinary file name. Anything else could escape the
 * deployment's prefix, alias another file after normalization, or confuse the CDN.
 */
export function pathProblem(path: string): string | undefined {
  if (path.length === 0) return 'is empty';
  if (utf8Length(path) > MAX_PATH_BYTES) return `is longer than ${MAX_PATH_BYTES} bytes`;
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

/** Why an S3 key (a path under its prefix) is too long to store, or `undefined`. */
export function keyProblem(key: string): string | undefined {
  return utf8Length(key) > MAX_KEY_BYTES ? `is longer than ${MAX_KEY_BYTES} bytes as a storage key` : undefined;
}

/** A zod string checked by {@link pathProblem}; issues read "`<what>` `<problem>`". */
export function safePath(what: string) {
  return z.string().superRefine((path, ctx) => {
    const problem = pathProblem(path);
    if (problem) ctx.addIssue({ code: 'custom', message: `${what} ${problem}` });
  });
}

// ---- The job: what one build is asked to do -----------------------------------------------------

// Ids end up in URLs, S3 keys and file names.
const Id = z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, 'expected 1-128 characters of [A-Za-z0-9_-]');

export const SourceFileSchema = z.strictObject({
  file: safePath('source file'),
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

/** What one build is asked to do (`GET /v1/builds/{id}/job`). Unknown fields are rejected at every level. */
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
/** A job as the control plane writes it (defaults not yet applied). */
export type JobInput = z.input<typeof JobSchema>;
export type JobSource = z.infer<typeof JobSourceSchema>;
export type SourceFile = z.infer<typeof SourceFileSchema>;
export type Overrides = z.infer<typeof OverridesSchema>;

// ---- The manifest: the immutable record of a build's output -------------------------------------

/** Most files one manifest may list. */
export const MAX_MANIFEST_FILES = 100_000;

export const ManifestFileSchema = z.strictObject({
  sha: Sha256Hex,
  size: z.number().int().nonnegative(),
  contentType: z.string().max(255).regex(/^[\w.+-]+\/[\w.+-]+(;[ \w=.+-]*)*$/),
});

/** Most functions one deployment may have (each becomes a Lambda function in AWS). */
export const MAX_MANIFEST_FUNCTIONS = 500;

/**
 * One function of a deployment, as the builder packaged it: every file of its `.func` directory
 * (symlinks resolved, `filePathMap` files copied in) in one deterministic zip, stored as a blob of
 * the team like any file (`blobs/<teamId>/<sha>`), so an unchanged function is uploaded once and a
 * Lambda function can be created straight from it (CreateFunction `Code.S3Key`).
 * `config` is the `.vc-config.json` as `parseFunctionConfig` (core/functions/config.ts) validated
 * it; the control plane validates it again (the build is untrusted).
 */
export const ManifestFunctionSchema = z.strictObject({
  /** sha256 of the zip, hex. */
  sha: Sha256Hex,
  /** Bytes of the zip. */
  size: z.number().int().nonnegative(),
  /** Bytes of its files unzipped (Lambda allows 250 MB). */
  unzippedSize: z.number().int().nonnegative(),
  /** Every function path this code serves (its name plus `.func` symlinks to it), no leading "/", e.g. `api/hello`. */
  paths: z.array(safePath('function path')).min(1),
  config: z.unknown(),
});
export type ManifestFunction = z.infer<typeof ManifestFunctionSchema>;

/**
 * A build's manifest (`PUT /v1/builds/{id}/manifest`): every served path and the blob behind it,
 * plus the raw project configuration the control plane compiles into routes: `runwayJson` /
 * `vercelJson` as the project has them, or `buildOutput`, the `config.json` of a framework that
 * wrote its own Build Output API v3 directory (`.vercel/output`), whose `static/` the files are
 * then. The build is untrusted, so the control plane checks every path and sha against this
 * schema, and the config when it compiles it.
 */
export const ManifestSchema = z.object({
  version: z.literal(1),
  deploymentId: z.string(),
  framework: z.enum(FRAMEWORKS),
  createdAt: z.string(),
  files: z
    .record(safePath('file path'), ManifestFileSchema)
    .refine((files) => Object.keys(files).length <= MAX_MANIFEST_FILES, 'too many files'),
  config: z.object({ runwayJson: z.unknown().optional(), vercelJson: z.unknown().optional(), buildOutput: z.unknown().optional() }).optional(),
  /** Function name (its real `.func` path under `functions/`, without `.func`) → its package. */
  functions: z
    .record(safePath('function name'), ManifestFunctionSchema)
    .refine((fns) => Object.keys(fns).length <= MAX_MANIFEST_FUNCTIONS, 'too many functions')
    .optional(),
});
export type Manifest = z.infer<typeof ManifestSchema>;
export type ManifestFile = z.infer<typeof ManifestFileSchema>;

// ---- The result line: how a build says how it ended ---------------------------------------------

/** The marker of the builder's last log line: `RUNWAY_RESULT {json}`. */
export const RESULT_MARKER = 'RUNWAY_RESULT';
const RESULT_PREFIX = `${RESULT_MARKER} `;

/** The result line's fields the control plane reads; the rest (durations, uploads, cache) is kept as is. */
export const BuildResultSchema = z.looseObject({ ok: z.boolean(), step: z.string().nullable().optional(), error: z.string().optional() });
export type BuildResult = z.infer<typeof BuildResultSchema>;

/** The result line of a build: the marker and its JSON. */
export function resultLine(result: BuildResult): string {
  return `${RESULT_PREFIX}${JSON.stringify(result)}`;
}

/** Whether a log line is the result line (it is left out of error messages). */
export function isResultLine(line: string): boolean {
  return line.includes(RESULT_PREFIX);
}

/** The last result line among `lines`, parsed: whether the build succeeded, which step failed, its figures. */
export function resultOf(lines: readonly string[]): BuildResult | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    const at = lines[i]!.indexOf(RESULT_PREFIX);
    if (at === -1) continue;
    let json: unknown;
    try {
      json = JSON.parse(lines[i]!.slice(at + RESULT_PREFIX.length));
    } catch {
      return undefined;
    }
    const parsed = BuildResultSchema.safeParse(json);
    return parsed.success ? parsed.data : undefined;
  }
  return undefined;
}
