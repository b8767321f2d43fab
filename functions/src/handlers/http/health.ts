import { version } from '../../../../package.json';
import { probeStorage } from '#adapters/health/aws';
import { httpHandler, route } from '#lib/http';

/**
 * `GET /v1/health` — public. Reports the platform version and whether the AWS APIs (or the local
 * emulator behind AWS_ENDPOINT_URL) answer. 200 when everything answers, 503 otherwise.
 */
export const routes = {
  'GET /v1/health': route({
    auth: 'public',
    summary: 'Platform version and whether the AWS APIs answer (503 when not)',
    handler: async () => {
      const services = await probeStorage();
      const ok = Object.values(services).every((s) => s.reachable);
      return {
        status: ok ? 200 : 503,
        body: {
          status: ok ? 'ok' : 'degraded',
          version,
          aws: { endpoint: process.env.AWS_ENDPOINT_URL ?? 'default', reachable: ok },
          services,
        },
      };
    },
  }),
};

export const handler = httpHandler(routes);
