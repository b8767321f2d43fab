import type { TestProject } from 'vitest/node';
import * as emulator from '../integration/global-setup.ts';

/**
 * The emulator for the e2e project: the integration project's global setup, made safe to share
 * one `vitest run` with it. Vitest runs every project's global setup in one process before any
 * test, and that setup exports its emulator's environment into `process.env`; a second setup
 * would then deploy the state stack into the same moto again, and a stack update crashes moto
 * 5.2.1. So when a sibling project already exported an emulator, the e2e tests use it (it lives
 * until the whole run ends); run alone, they start their own.
 */
let owned = false;

export async function setup(project: TestProject): Promise<void> {
  const env = process.env;
  if (env.AWS_ENDPOINT_URL && env.RUNWAY_TABLE_NAME && env.RUNWAY_ARTIFACT_BUCKET) return;
  owned = true;
  await emulator.setup(project);
}

export async function teardown(): Promise<void> {
  if (owned) await emulator.teardown();
}
