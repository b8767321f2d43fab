import { context } from '#core/context';
import { Deployment, type DeploymentInfo } from '#core/deployment/index';
import { record } from './tokens.ts';

/**
 * The build log of a deployment by cursor polling (API Gateway HTTP APIs do not stream): lines
 * after `cursor`, oldest first, and whether the build has ended with every line returned. Lines
 * are redacted by the builder before they are written, so sensitive values are never stored.
 */
export async function logEvents(
  deployment: DeploymentInfo,
  page: { cursor?: string | undefined; limit: number },
): Promise<{ state: DeploymentInfo['state']; items: Array<{ type: 'log'; timestamp: string; text: string }>; next: string; done: boolean }> {
  const stream = (await record(deployment.id))?.logStream;
  const read = stream ? await context().buildLogs.read(stream, page) : { events: [], next: page.cursor ?? '' };
  return {
    state: deployment.state,
    items: read.events.map((e) => ({ type: 'log' as const, timestamp: new Date(e.timestamp).toISOString(), text: e.message })),
    next: read.next,
    done: Deployment.isFinal(deployment.state) && read.events.length === 0,
  };
}
