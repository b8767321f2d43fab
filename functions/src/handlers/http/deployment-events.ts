import * as z from 'zod';
import { CloudWatchBuildLogs } from '#adapters/build-logs/cloudwatch';
import { dynamoDbRepositories } from '#adapters/db/dynamodb/index';
import { Build } from '#core/build/index';
import { Deployment, DeploymentState } from '#core/deployment/index';
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

/** `GET /v1/deployments/{id}/events` — the build log by cursor polling (`Build.logEvents`). */
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
};

wire({ ...dynamoDbRepositories, buildLogs: () => new CloudWatchBuildLogs() });

export const handler = apiHandler(routes);
