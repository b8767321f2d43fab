import type { TestProject } from 'vitest/node';
import { freePort } from '../../local/emulator.ts';
import { startLocalAws, type LocalAws } from '../../local/environment.ts';

let local: LocalAws | undefined;

/**
 * Starts a private moto server on a free port (never 4566: a developer's `npm start` may hold
 * it, or start later and must not find the tests' emulator there) — or uses the
 * emulator AWS_ENDPOINT_URL names, such as LocalStack — deploys the state stack into it, and
 * hands its environment to the test workers. Stops what it started afterwards.
 */
export async function setup(project: TestProject): Promise<void> {
  local = await startLocalAws({ port: await freePort(), mode: 'private', externalEndpoint: process.env.AWS_ENDPOINT_URL || undefined });
  Object.assign(process.env, local.env);
  project.provide('localAwsEnv', local.env);
}

export async function teardown(): Promise<void> {
  await local?.emulator.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    localAwsEnv: Record<string, string>;
  }
}
