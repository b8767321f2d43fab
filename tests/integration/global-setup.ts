import type { TestProject } from 'vitest/node';
import { startLocalAws, type LocalAws } from '../../local/environment.ts';

let local: LocalAws | undefined;

/**
 * Starts a private moto server (port 4566 when free, any free port otherwise) — or uses the
 * emulator AWS_ENDPOINT_URL names, such as LocalStack — deploys the state stack into it, and
 * hands its environment to the test workers. Stops what it started afterwards.
 */
export async function setup(project: TestProject): Promise<void> {
  local = await startLocalAws({ port: 4566, mode: 'private', externalEndpoint: process.env.AWS_ENDPOINT_URL || undefined });
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
