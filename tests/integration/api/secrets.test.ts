import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { Env } from '../../../functions/src/core/env/index.ts';
import { logger } from '../../../functions/src/lib/powertools.ts';
import { type Api, client, newTeam, readyDeployment, startApi, uniqueName } from './harness.ts';

/**
 * Invariant 5: a secret value never appears in an API response after creation, nor in any log line
 * of the handlers (captured in-process at the stdout/stderr level, at DEBUG, with event logging
 * requested through the environment).
 */
const SECRET = `s3nsitive-${uniqueName('v')}`;
let api: Api;
const output: string[] = [];

beforeAll(async () => {
  vi.stubEnv('POWERTOOLS_LOGGER_LOG_EVENT', 'true');
  logger.setLogLevel('DEBUG');
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream);
    vi.spyOn(stream, 'write').mockImplementation(((chunk: string | Uint8Array, ...rest: unknown[]) => {
      output.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write);
  }
  api = await startApi();
});
afterAll(async () => {
  await api.close();
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  logger.setLogLevel('INFO');
});

test('a planted sensitive env value is in no response and no log line, yet reaches the build', async () => {
  const team = await newTeam();
  const c = client(api, team.tokens.owner);
  const responses: string[] = [];
  const { body: project } = await c.post('/v1/projects', { name: uniqueName('sec') });
  const created = await c.post(`/v1/projects/${project.id}/env`, { key: 'STRIPE_KEY', value: SECRET, target: ['production', 'preview'], sensitive: true });
  responses.push(created.text);
  const id = created.body.items[0].id;
  responses.push((await c.patch(`/v1/projects/${project.id}/env/${id}`, { value: SECRET })).text);
  responses.push((await c.get(`/v1/projects/${project.id}/env`)).text);
  responses.push((await client(api, team.tokens.viewer).get(`/v1/projects/${project.id}/env`)).text);
  // Failures that echo input: a duplicate and an invalid request carrying the value.
  responses.push((await c.post(`/v1/projects/${project.id}/env`, { key: 'STRIPE_KEY', value: SECRET, target: ['preview'], sensitive: true })).text);
  responses.push((await c.post(`/v1/projects/${project.id}/env`, { key: 'bad key', value: SECRET, target: ['preview'] })).text);
  responses.push((await c.patch(`/v1/projects/${project.id}/env/${id}`, { value: SECRET, extra: SECRET })).text);
  const d = await readyDeployment(c, project.id);
  responses.push((await c.post(`/v1/projects/${project.id}/promote`, { deploymentId: d.id })).text);

  expect((await Env.resolveForBuild(project.id, 'production')).env.STRIPE_KEY).toBe(SECRET);
  expect(output.join('').length).toBeGreaterThan(0);
  for (const text of responses) expect(text).not.toContain(SECRET);
  expect(output.join('')).not.toContain(SECRET);
  // Nor the bearer secret of the caller.
  expect(output.join('')).not.toContain(team.tokens.owner);
});
