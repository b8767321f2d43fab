import * as z from 'zod';
import { S3BlobStore } from '#adapters/blob-store/s3';
import { CodeBuildScheduler } from '#adapters/build-scheduler/codebuild';
import { dynamoDbRepositories } from '#adapters/db/dynamodb/index';
import { OctokitGitHub } from '#adapters/github/octokit';
// The lifecycle alone: this function never sees a build's end (finish.ts, the routing compiler).
import * as Build from '#core/build/lifecycle';
import { Deployment, DeploymentInfo, DeploymentState, FileList, Meta } from '#core/deployment/index';
import { GitHubEvents } from '#core/github/index';
import { BranchName, Project } from '#core/project/index';
import { DeploymentId, DeploymentTarget, IdOrName, PageQuery, pageOf } from '#core/schemas';
import { apiHandler, tokenRoute } from '#lib/api';
import { wire } from '#lib/context';
import { MAX_JSON_BODY_BYTES } from '#lib/limits';

const DeploymentParams = z.strictObject({ id: DeploymentId });

const ListQuery = PageQuery.extend({
  projectId: IdOrName.optional(),
  target: DeploymentTarget.optional(),
  state: DeploymentState.optional(),
  branch: z.string().min(1).max(255).optional(),
});

/**
 * `POST /v1/deployments`: a deployment of uploaded files (`POST /v1/files` first), or of the head
 * commit of a branch of the project's GitHub repository (`gitSource`).
 */
const CreateBody = z
  .strictObject({
    project: IdOrName,
    target: DeploymentTarget.optional().describe('files: default preview; git: production for the production branch, else preview'),
    files: FileList.optional(),
    gitSource: z.strictObject({ branch: BranchName }).optional(),
    meta: Meta.optional(),
  })
  .refine((b) => (b.files === undefined) !== (b.gitSource === undefined), 'give either files or gitSource')
  .refine((b) => b.gitSource === undefined || (b.target === undefined && b.meta === undefined), 'a git deployment takes its target from the branch, and no meta');

const RedeployBody = z.strictObject({ target: DeploymentTarget.optional() });

/** Error body of `missing_files`: upload these shas, then send the same request again. */
export const MissingFiles = z.strictObject({
  error: z.strictObject({ code: z.literal('missing_files'), message: z.string(), missing: z.array(z.string()) }),
});

/**
 * A file list of 20,000 files (~200 bytes each with typical paths) needs more than the default
 * 1 MB, and must still fit a Lambda invoke (6 MB): 5 MiB.
 */
const MAX_CREATE_BODY_BYTES = MAX_JSON_BODY_BYTES;

export const routes = {
  'GET /v1/deployments': tokenRoute({
    summary: 'Deployments newest first, of a project or the whole team; filters target, state, branch',
    query: ListQuery,
    responds: { status: 200, body: pageOf(DeploymentInfo) },
    handler: async ({ query, auth }) => {
      const { limit, cursor, projectId, ...filter } = query;
      const project = projectId ? await Project.get(auth.teamId, projectId) : undefined;
      return { body: await Deployment.list({ teamId: auth.teamId, projectId: project?.id }, filter, { limit, cursor }) };
    },
  }),
  'POST /v1/deployments': tokenRoute({
    summary: 'Deploy uploaded files: 400 missing_files lists the shas to upload first, else 201 QUEUED',
    body: CreateBody,
    maxBodyBytes: MAX_CREATE_BODY_BYTES,
    responds: { status: 201, body: DeploymentInfo },
    handler: async ({ body, auth }) => {
      const project = await Project.get(auth.teamId, body.project);
      if (body.gitSource) return { status: 201, body: await GitHubEvents.deployBranch(auth.teamId, project, body.gitSource.branch) };
      const deployment = await Build.submitFiles({ teamId: auth.teamId, project, target: body.target ?? 'preview', files: body.files ?? [], meta: body.meta });
      return { status: 201, body: deployment };
    },
  }),
  'GET /v1/deployments/{id}': tokenRoute({
    summary: 'A deployment',
    params: DeploymentParams,
    responds: { status: 200, body: DeploymentInfo },
    handler: async ({ params, auth }) => ({ body: await Deployment.get(params.id, { teamId: auth.teamId }) }),
  }),
  'POST /v1/deployments/{id}/cancel': tokenRoute({
    summary: 'Cancel a QUEUED or BUILDING deployment (409 once READY or ERROR)',
    params: DeploymentParams,
    responds: { status: 200, body: DeploymentInfo },
    handler: async ({ params, auth }) => ({ body: await Build.cancel(params.id, { teamId: auth.teamId }) }),
  }),
  'POST /v1/deployments/{id}/redeploy': tokenRoute({
    summary: 'A new deployment of the same source (no upload), optionally to another target',
    params: DeploymentParams,
    body: RedeployBody,
    responds: { status: 201, body: DeploymentInfo },
    handler: async ({ params, body, auth }) => {
      const original = await Deployment.get(params.id, { teamId: auth.teamId });
      const project = await Project.get(auth.teamId, original.projectId);
      const redeployed = original.source.type === 'git' ? await GitHubEvents.redeploy(original, project, body.target) : await Build.redeploy(original, project, body);
      return { status: 201, body: redeployed };
    },
  }),
};

// In AWS, builds run in CodeBuild (npm start and tests inject the local runner); uploaded file
// lists live in S3; git deployments ask GitHub, as the App, for the branch head and report to it.
wire({ ...dynamoDbRepositories, blobStore: () => new S3BlobStore(), buildScheduler: () => new CodeBuildScheduler(), github: () => new OctokitGitHub() });

export const handler = apiHandler(routes);
