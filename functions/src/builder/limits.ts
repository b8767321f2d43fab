/**
 * How long a build may take, from the ceiling of the compute it runs on down to the builder's
 * own step limits. The builds stack (CodeBuild), the local runner and the builder all take their
 * numbers from here, so a long install stops with "install exceeded 5 min" from the builder
 * before the compute cuts the whole build off with a generic timeout.
 */

/**
 * CodeBuild on Lambda compute stops every build at 15 minutes and takes no custom timeout:
 * "AWS Lambda doesn't support caching, custom build timeouts, queue timeout, build badges,
 * privileged mode, custom runtime environments, or runtimes longer than 15 minutes."
 * https://docs.aws.amazon.com/codebuild/latest/userguide/lambda.html#lambda.limitations
 */
export const LAMBDA_COMPUTE_MAX_MINUTES = 15;

/**
 * CodeBuild's build timeout on EC2 compute: 5 to 2160 minutes (36 hours), 60 by default.
 * https://docs.aws.amazon.com/codebuild/latest/APIReference/API_Project.html#CodeBuild-Type-Project-timeoutInMinutes
 */
export const EC2_COMPUTE_TIMEOUT_MINUTES = { min: 5, max: 2160, default: 60 } as const;

/** The builder's step limits, in milliseconds. */
export interface StepLimits {
  installMs: number;
  buildMs: number;
}

/**
 * The step limits that fit a build ceiling: a fifth of it (at most 3 minutes) is kept for
 * fetching the source, detecting, collecting, uploading and the manifest; of the rest, 40% may go
 * to the install and 60% to the build. 15 minutes (Lambda compute) → install 4 min 48 s, build
 * 7 min 12 s; 60 minutes → 22 min 48 s and 34 min 12 s.
 * @param ceilingMs the compute's limit for the whole build, in milliseconds (> 0)
 */
export function stepLimitsFor(ceilingMs: number): StepLimits {
  if (!(ceilingMs > 0)) throw new RangeError(`A build ceiling must be positive, got ${ceilingMs} ms`);
  const steps = ceilingMs - Math.min(ceilingMs / 5, 3 * 60_000);
  const installMs = Math.floor(steps * 0.4);
  return { installMs, buildMs: Math.floor(steps) - installMs };
}

/** `300000` → `"5 min"`, `288000` → `"4.8 min"`, `1500` → `"1.5 s"`: a step limit for a person. */
export function formatLimit(ms: number): string {
  return ms >= 60_000 ? `${Number((ms / 60_000).toFixed(1))} min` : `${Number((ms / 1000).toFixed(1))} s`;
}
