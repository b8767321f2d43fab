import { Logger } from '@aws-lambda-powertools/logger';

/**
 * Powertools' Logger, created once per execution environment; the service name comes from
 * POWERTOOLS_SERVICE_NAME set by the stack. Metrics live in metrics.ts, so that functions that
 * publish none (the GitHub worker, build-state) do not bundle them.
 *
 * No Powertools Tracer: it brings the X-Ray SDK (≈120 KB of every bundle with its dependencies,
 * measured in `bench:api`) and here only added one handler subsegment per invocation, which
 * Lambda's active tracing (RunwayFunction, `Tracing.ACTIVE`) records as the invocation's own
 * segment already. Traces of AWS SDK calls were never captured (no `captureAWSv3Client`).
 */
export const logger = new Logger();
