import { JobSchema, type Job } from '../core/build/contract.ts';

/**
 * The job of one build: its schema is the build contract's (core/build/contract.ts), shared with
 * the control plane that writes it.
 */
export { FRAMEWORKS, JobSchema, JobSourceSchema, OverridesSchema, SourceFileSchema } from '../core/build/contract.ts';
export type { Framework, Job, JobInput, JobSource, Overrides, SourceFile } from '../core/build/contract.ts';

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
