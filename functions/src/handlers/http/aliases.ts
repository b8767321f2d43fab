import * as z from 'zod';
import { Alias, AliasChange, AliasInfo, PromoteBody, RollbackBody } from '#core/alias/index';
import { Project } from '#core/project/index';
import { IdOrName, PageQuery, pageOf } from '#core/schemas';
import { apiHandler, expectedVersion, tokenRoute } from '#lib/api';
import { dynamoDbRepositories } from '#adapters/db/dynamodb/index';
import { CloudFrontKvsEdgeStore } from '#adapters/edge-store/cloudfront-kvs';
import { wire } from '#lib/context';

const ProjectParams = z.strictObject({ idOrName: IdOrName });

/** Aliases of a project; promote and roll back production with one versioned alias write each. */
export const routes = {
  'GET /v1/projects/{idOrName}/aliases': tokenRoute({
    summary: "The project's aliases (hosts) and the deployments they serve",
    params: ProjectParams,
    query: PageQuery,
    responds: { status: 200, body: pageOf(AliasInfo) },
    handler: async ({ params, query, auth }) => {
      const project = await Project.get(auth.teamId, params.idOrName);
      return { body: await Alias.list(project, query) };
    },
  }),
  'POST /v1/projects/{idOrName}/promote': tokenRoute({
    summary: 'Serve a READY deployment on the production host; 409 if the alias changed meanwhile (If-Match: alias version)',
    params: ProjectParams,
    body: PromoteBody,
    responds: { status: 200, body: AliasChange },
    handler: async ({ params, body, auth, event }) => {
      const project = await Project.get(auth.teamId, params.idOrName);
      return { body: await Alias.promote(project, body.deploymentId, expectedVersion(event, body.version)) };
    },
  }),
  'POST /v1/projects/{idOrName}/rollback': tokenRoute({
    summary: 'Serve an earlier READY production deployment again, instantly (default: the one before the live one)',
    params: ProjectParams,
    body: RollbackBody,
    responds: { status: 200, body: AliasChange },
    handler: async ({ params, body, auth, event }) => {
      const project = await Project.get(auth.teamId, params.idOrName);
      return { body: await Alias.rollback(project, { deploymentId: body.deploymentId, expectedVersion: expectedVersion(event, body.version) }) };
    },
  }),
};

// In AWS, the edge store is the distribution's CloudFront KeyValueStore.
wire({ ...dynamoDbRepositories, edgeStore: () => new CloudFrontKvsEdgeStore() });

export const handler = apiHandler(routes);
