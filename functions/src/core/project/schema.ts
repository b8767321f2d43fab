import * as z from 'zod';
import { FRAMEWORKS } from '#core/build/contract';
import { filePathProblem } from '#core/deployment/files';
import { Name, ProjectId, TeamId, Timestamp } from '#core/schemas';

/** Framework presets: the build contract's one list, shared with the builder. */
export { FRAMEWORKS };

export const GitRepository = z.strictObject({
  provider: z.literal('github'),
  repo: z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/, 'must be "owner/name"'),
  /** Filled in by the server from the team's GitHub App installation that can read the repository. */
  installationId: z.number().int().positive().optional(),
  /** GitHub's id of the repository (stable across renames); filled in by the server. */
  repoId: z.number().int().positive().optional(),
});

/**
 * A git branch name (the rules of `git check-ref-format`, in short): no control characters,
 * spaces or `~^:?*[\`, no `..`, and no leading `-` or `/`.
 */
export const BranchName = z
  .string()
  .min(1)
  .max(255)
  .refine(
    (b) => !/[\x00-\x20\x7f~^:?*[\\]/.test(b) && !b.includes('..') && !b.startsWith('/') && !b.startsWith('-') && !b.endsWith('/') && !b.endsWith('.lock'),
    'is not a valid git branch name',
  );

/**
 * A directory inside the source (`rootDirectory`, `outputDirectory`): `./` prefixes and trailing
 * `/` are dropped, `""` or `.` mean the root; anything that could leave the source is refused.
 */
export const DirSetting = z
  .string()
  .max(1024)
  .transform((v) => v.trim().replace(/^(\.\/)+/, '').replace(/\/+$/, '') || '.')
  .superRefine((dir, ctx) => {
    const problem = dir === '.' ? undefined : filePathProblem(dir);
    if (problem) ctx.addIssue({ code: 'custom', message: `directory ${problem}` });
  });

/** A shell command the build runs; `""` skips that step. */
const Command = z.string().max(4096).refine((c) => !c.includes('\0'), 'contains a NUL character');

const settings = {
  gitRepository: GitRepository.nullable().optional(),
  framework: z.enum(FRAMEWORKS).nullable().optional().describe('null or absent: detect'),
  rootDirectory: DirSetting.nullable().optional(),
  installCommand: Command.nullable().optional().describe('null or absent: detect; "" skips install'),
  buildCommand: Command.nullable().optional().describe('null or absent: detect; "" skips the build'),
  outputDirectory: DirSetting.nullable().optional(),
  productionBranch: BranchName.optional(),
};

export const CreateProjectBody = z.strictObject({
  name: Name.describe(
    'Unique on the whole platform, not just the team: it is the production host <name>.D, reserved when the project is created (409 project_name_taken when another project has it). Names containing "-git-" or ending in "-git" are refused (400 invalid_project_name): they are the shape of branch hosts <project>-git-<branch>.D.',
  ),
  ...settings,
});
export type CreateProjectBody = z.infer<typeof CreateProjectBody>;

/** Settings to change (`null` clears one); `version` (or `If-Match`) guards against lost updates. */
export const UpdateProjectBody = z.strictObject({ ...settings, version: z.number().int().min(1).optional() });
export type UpdateProjectBody = z.infer<typeof UpdateProjectBody>;

export const ProjectInfo = z.strictObject({
  id: ProjectId,
  teamId: TeamId,
  name: Name,
  gitRepository: GitRepository.optional(),
  framework: z.enum(FRAMEWORKS).optional(),
  rootDirectory: z.string().optional(),
  installCommand: z.string().optional(),
  buildCommand: z.string().optional(),
  outputDirectory: z.string().optional(),
  productionBranch: z.string(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  version: z.number().int(),
});
export type ProjectInfo = z.infer<typeof ProjectInfo>;
