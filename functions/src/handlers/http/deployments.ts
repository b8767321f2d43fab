import * as z from 'zod';
import { Deployment, DeploymentInfo, DeploymentState, FileList, Meta } from '#core/deployment/index';
import { ValidationError } from '#core/errors';
import { Files } from '#core/files/index';
import { Project } from '#core/project/index';
import { DeploymentId, DeploymentTarget, IdOrName, PageQuery, pageOf } from '#core/schemas';
import { apiHandler, tokenRoute } from '#lib/api';
import { CodeBuildScheduler } from '#adapters/build-scheduler/codebuild';
import { provideDefaultPorts } from '#lib/ports';

const DeploymentParams = z.strictObject({ id: DeploymentId });

const ListQuery = PageQuery.extend({
  projectId: IdOrName.optional(),
  target: DeploymentTarget.optional(),
  state: DeploymentState.optional(),
  branch: z.string().min(1).max(255).optional(),
});

/** `POST /v1/deployments`: a deployment of uploaded files (`POST /v1/files` first). */
const CreateBody = z.strictObject({
  project: IdOrName,
  target: DeploymentTarget.default('preview'),
  files: FileList,
  meta: Meta.optional(),
});

const RedeployBody = z.strictObject({ target: DeploymentTarget.optional() });

/** Error body of `missing_files`: upload these shas, then send the same request again. */
export const MissingFiles = z.strictObject({
  error: z.strictObject({ code: z.literal('missing_files'), message: z.string(), missing: z.array(z.string()) }),
});

/** A file list of 20,000 paths of up to 1 KB each needs more than the default 1 MB. */
const MAX_CREATE_BODY_BYTES = 10 * 1024 * 1024;

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
      const missing = await Files.missing(auth.teamId, body.files);
      if (missing.length > 0) {
        throw new ValidationError('missing_files', `${missing.length} file(s) are not uploaded yet: POST them to /v1/files, then retry`, { missing });
      }
      const deployment = await Deployment.submit({
        teamId: auth.teamId,
        project,
        target: body.target,
        source: { type: 'files', files: body.files },
        meta: body.meta,
      });
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
    handler: async ({ params, auth }) => ({ body: await Deployment.cancel(params.id, { teamId: auth.teamId }) }),
  }),
  'POST /v1/deployments/{id}/redeploy': tokenRoute({
    summary: 'A new deployment of the same source (no upload), optionally to another target',
    params: DeploymentParams,
    body: RedeployBody,
    responds: { status: 201, body: DeploymentInfo },
    handler: async ({ params, body, auth }) => {
      const original = await Deployment.get(params.id, { teamId: auth.teamId });
      const project = await Project.get(auth.teamId, original.projectId);
      return { status: 201, body: await Deployment.redeploy(original, project, body) };
    },
  }),
};

// In AWS, builds run in CodeBuild (npm start and tests inject the local runner).
provideDefaultPorts({ buildScheduler: new CodeBuildScheduler() });

export const handler = apiHandler(routes);
