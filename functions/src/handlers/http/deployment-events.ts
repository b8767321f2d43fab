import * as z from 'zod';
import { CloudWatchBuildLogs } from '#adapters/build-logs/cloudwatch';
import { CloudWatchFunctionLogs } from '#adapters/function-logs/cloudwatch';
import { dynamoDbRepositories } from '#adapters/db/dynamodb/index';
import { Build } from '#core/build/index';
import { Deployment, DeploymentState } from '#core/deployment/index';
import { deploymentLogs, FUNCTION_LOG_LEVELS } from '#core/functions/index';
import { DeploymentId } from '#core/schemas';
import { apiHandler, tokenRoute } from '#lib/api';
import { wire } from '#lib/context';

const Query = z.strictObject({
  cursor: z.string().max(512).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(500),
});

const EventsPage = z.strictObject({
  state: DeploymentState,
  items: z.array(z.strictObject({ type: z.literal('log'), timestamp: z.string(), text: z.string() })),
  next: z.string().describe('Pass as cursor to get the lines after these; unchanged when none arrived yet'),
  done: z.boolean().describe('The build has ended and every line has been returned'),
});

const LogsQuery = z.strictObject({
  function: z.string().min(1).max(256).optional().describe("A function's name in the deployment, e.g. `api/hello`"),
  level: z.enum(FUNCTION_LOG_LEVELS).optional(),
  since: z.iso.datetime({ offset: true }).optional().describe('ISO 8601, inclusive'),
  until: z.iso.datetime({ offset: true }).optional().describe('ISO 8601, inclusive'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(65_536).optional(),
});

const LogsPage = z.strictObject({
  items: z.array(
    z.strictObject({
      time: z.string().describe('ISO 8601'),
      function: z.string().describe("The function's name in the deployment"),
      level: z.enum(FUNCTION_LOG_LEVELS),
      message: z.string(),
      requestId: z.string().optional(),
    }),
  ),
  next: z.string().optional().describe('Pass as cursor for the lines after these (a live tail polls with it); absent when no line matched yet'),
});

/**
 * `GET /v1/deployments/{id}/events` — the build log by cursor polling (`Build.logEvents`);
 * `GET /v1/deployments/{id}/logs` — its functions' logs (CloudWatch Logs).
 */
export const routes = {
  'GET /v1/deployments/{id}/events': tokenRoute({
    summary: 'Build log lines after the cursor, oldest first; poll until done',
    params: z.strictObject({ id: DeploymentId }),
    query: Query,
    responds: { status: 200, body: EventsPage },
    handler: async ({ params, query, auth }) => {
      const deployment = await Deployment.get(params.id, { teamId: auth.teamId });
      return { body: await Build.logEvents(deployment, { cursor: query.cursor, limit: query.limit }) };
    },
  }),
  'GET /v1/deployments/{id}/logs': tokenRoute({
    summary: "The deployment's function logs, oldest first, filtered by function, level and time; poll with `next` for a live tail",
    params: z.strictObject({ id: DeploymentId }),
    query: LogsQuery,
    responds: { status: 200, body: LogsPage },
    handler: async ({ params, query, auth }) => {
      const deployment = await Deployment.get(params.id, { teamId: auth.teamId });
      return { body: await deploymentLogs(deployment, query) };
    },
  }),
};

wire({ ...dynamoDbRepositories, buildLogs: () => new CloudWatchBuildLogs(), functionLogs: () => new CloudWatchFunctionLogs() });

export const handler = apiHandler(routes);
