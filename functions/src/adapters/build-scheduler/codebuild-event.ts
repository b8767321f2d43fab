import * as z from 'zod';

/**
 * EventBridge's "CodeBuild Build State Change" event, as far as Runway reads it. CodeBuild sends
 * it in AWS (the builds stack's rule delivers it to the build-state function); the local runner
 * emits the same shape. Declared with zod's namespace import (not Powertools' EventBridge schema,
 * which pulls in all of zod's locales) so the function's bundle stays small.
 * Shape: https://docs.aws.amazon.com/codebuild/latest/userguide/sample-build-notifications.html
 */
export const BuildStateEvent = z.object({
  version: z.string(),
  id: z.string(),
  'detail-type': z.literal('CodeBuild Build State Change'),
  source: z.literal('aws.codebuild'),
  account: z.string(),
  time: z.string(),
  region: z.string(),
  resources: z.array(z.string()),
  detail: z.object({
    'build-status': z.enum(['IN_PROGRESS', 'SUCCEEDED', 'FAILED', 'FAULT', 'STOPPED', 'TIMED_OUT']),
    'build-id': z.string().min(1),
    'project-name': z.string().min(1),
    'additional-information': z.object({
      environment: z.object({
        'environment-variables': z.array(z.object({ name: z.string(), value: z.string().optional() })),
      }),
      logs: z.object({ 'stream-name': z.string().optional() }).optional(),
    }),
  }),
});
export type BuildStateEvent = z.infer<typeof BuildStateEvent>;
export type CodeBuildStatus = BuildStateEvent['detail']['build-status'];

/** CodeBuild's statuses as the build lifecycle names them. */
const STATUS = {
  IN_PROGRESS: 'started',
  SUCCEEDED: 'succeeded',
  FAILED: 'failed',
  FAULT: 'failed',
  STOPPED: 'stopped',
  TIMED_OUT: 'timed_out',
} as const satisfies Record<CodeBuildStatus, string>;

/**
 * The deployment, status and log stream of a build event, or `undefined` for a build without a
 * deployment id. Only the deployment id is read from the build's environment: its token is never
 * looked at.
 */
export function buildEndOf(event: BuildStateEvent): { deploymentId: string; status: (typeof STATUS)[CodeBuildStatus]; logStream?: string } | undefined {
  const { detail } = event;
  const deploymentId = detail['additional-information'].environment['environment-variables'].find((v) => v.name === 'RUNWAY_DEPLOYMENT_ID')?.value;
  if (!deploymentId) return undefined;
  const logStream = detail['additional-information'].logs?.['stream-name'];
  return { deploymentId, status: STATUS[detail['build-status']], ...(logStream ? { logStream } : {}) };
}
