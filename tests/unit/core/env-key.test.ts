import { expect, test } from 'vitest';
import { EnvKey } from '../../../functions/src/core/env/schema.ts';

test.each(['_HANDLER', '_X_AMZN_TRACE_ID', 'LAMBDA_TASK_ROOT', 'LAMBDA_RUNTIME_DIR', 'AWS_REGION', 'RUNWAY_TOKEN'])('a project env var may not be named %s (Lambda or Runway reserves it)', (key) => {
  expect(EnvKey.safeParse(key).success).toBe(false);
});

test.each(['DATABASE_URL', 'LD_PRELOAD', 'LD_LIBRARY_PATH', 'NODE_OPTIONS', 'PATH', 'TZ_NAME'])('%s is a project env var name (Lambda lets the function set it)', (key) => {
  expect(EnvKey.safeParse(key).success).toBe(true);
});
