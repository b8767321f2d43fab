import * as z from 'zod';
import { CloudWatchBuildLogs } from '#adapters/build-logs/cloudwatch';
import { dynamoDbRepositories } from '#adapters/db/dynamodb/index';
import { Build } from '#core/build/index';
import { context } from '#core/context';
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

/**
 * `GET /v1/deployments/{id}/events` — the build log by cursor polling (API Gateway HTTP APIs do
 * not stream): lines after `cursor`, oldest first, and whether the build has ended. Lines are
 * redacted by the builder before they are written, so sensitive values are never stored.
 */
export const routes = {
  'GET /v1/deployments/{id}/events': tokenRoute({
    summary: 'Build log lines after the cursor, oldest first; poll until done',
    params: z.strictObject({ id: DeploymentId }),
    query: Query,
    responds: { status: 200, body: EventsPage },
    handler: async ({ params, query, auth }) => {
      const deployment = await Deployment.get(params.id, { teamId: auth.teamId });
      const stream = (await Build.record(deployment.id))?.logStream;
      const page = stream ? await context().buildLogs.read(stream, { cursor: query.cursor, limit: query.limit }) : { events: [], next: query.cursor ?? '' };
      const ended = Deployment.isFinal(deployment.state);
      return {
        body: {
          state: deployment.state,
          items: page.events.map((e) => ({ type: 'log' as const, timestamp: new Date(e.timestamp).toISOString(), text: e.message })),
          next: page.next,
          done: ended && page.events.length === 0,
        },
      };
    },
  }),
};

wire({ ...dynamoDbRepositories, buildLogs: () => new CloudWatchBuildLogs() });

export const handler = apiHandler(routes);
