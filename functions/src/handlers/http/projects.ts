import * as z from 'zod';
import { CreateProjectBody, Project, ProjectInfo, UpdateProjectBody } from '#core/project/index';
import { remove as removeProject } from '#core/project/delete';
import { IdOrName, PageQuery, pageOf } from '#core/schemas';
import { apiHandler, etag, expectedVersion, tokenRoute } from '#lib/api';
import { dynamoDbRepositories } from '#adapters/db/dynamodb/index';
import { CloudFrontKvsEdgeStore } from '#adapters/edge-store/cloudfront-kvs';
import { withRepository } from '#core/github/installation';
import { wire } from '#lib/context';

const ProjectParams = z.strictObject({ idOrName: IdOrName });

/** Projects: create, list, get by id or name, update settings (versioned), delete. */
export const routes = {
  'GET /v1/projects': tokenRoute({
    summary: "The team's projects by name",
    query: PageQuery,
    responds: { status: 200, body: pageOf(ProjectInfo) },
    handler: async ({ query, auth }) => ({ body: await Project.list(auth.teamId, query) }),
  }),
  'POST /v1/projects': tokenRoute({
    summary: 'Create a project; its name is unique platform-wide and becomes its production host <name>.D (README "Hostnames")',
    body: CreateProjectBody,
    responds: { status: 201, body: ProjectInfo },
    handler: async ({ body, auth }) => {
      const project = await Project.create(auth.teamId, await withRepository(auth.teamId, body));
      return { status: 201, body: project, headers: etag(project.version) };
    },
  }),
  'GET /v1/projects/{idOrName}': tokenRoute({
    summary: 'A project by id or name',
    params: ProjectParams,
    responds: { status: 200, body: ProjectInfo },
    handler: async ({ params, auth }) => {
      const project = await Project.get(auth.teamId, params.idOrName);
      return { body: project, headers: etag(project.version) };
    },
  }),
  'PATCH /v1/projects/{idOrName}': tokenRoute({
    summary: 'Change settings; If-Match (or body version) guards against lost updates: 409 on mismatch',
    params: ProjectParams,
    body: UpdateProjectBody,
    responds: { status: 200, body: ProjectInfo },
    handler: async ({ params, body, auth, event }) => {
      const { version, ...patch } = body;
      const project = await Project.update(auth.teamId, params.idOrName, await withRepository(auth.teamId, patch), expectedVersion(event, version));
      return { body: project, headers: etag(project.version) };
    },
  }),
  'DELETE /v1/projects/{idOrName}': tokenRoute({
    summary: 'Delete a project: every host it had (production, branch, deployment) leaves the edge with its owner record, then its env vars and its name',
    params: ProjectParams,
    responds: { status: 204 },
    handler: async ({ params, auth }) => {
      await removeProject(auth.teamId, params.idOrName);
      return { status: 204 };
    },
  }),
};

// Deleting a project removes its hosts from the edge.
wire({ ...dynamoDbRepositories, edgeStore: () => new CloudFrontKvsEdgeStore() });

export const handler = apiHandler(routes);
