import { context } from '#core/context';
import { ValidationError } from '#core/errors';
import { functionLogGroup, functionNameFor } from './deployer.ts';
import type { FunctionLogLevel, FunctionLogPage } from './logs.ts';

/** The filters of `GET /v1/deployments/{id}/logs`, validated by the route's schema. */
export interface LogFilters {
  /** A function's name in the deployment. */
  function?: string | undefined;
  level?: FunctionLogLevel | undefined;
  /** ISO 8601, inclusive. */
  since?: string | undefined;
  until?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

/**
 * The function logs of a deployment (every function's, merged by time, or one function's), oldest
 * first; `next` continues after the page (poll it for a live tail).
 * @throws ValidationError `unknown_function` for a function the deployment does not have,
 *   `invalid_range` when `since` is after `until`, `invalid_cursor` for a made-up cursor
 */
export async function deploymentLogs(deployment: { id: string; functions?: ReadonlyArray<{ name: string }> | undefined }, filters: LogFilters): Promise<FunctionLogPage> {
  const all = deployment.functions ?? [];
  if (filters.function !== undefined && !all.some((fn) => fn.name === filters.function)) {
    throw new ValidationError('unknown_function', `This deployment has no function "${filters.function}"`, { function: filters.function });
  }
  const since = filters.since === undefined ? undefined : Date.parse(filters.since);
  const until = filters.until === undefined ? undefined : Date.parse(filters.until);
  if (since !== undefined && until !== undefined && since > until) throw new ValidationError('invalid_range', '`since` is after `until`');
  const chosen = filters.function === undefined ? all : all.filter((fn) => fn.name === filters.function);
  if (chosen.length === 0) return filters.cursor === undefined ? { items: [] } : { items: [], next: filters.cursor };
  return context().functionLogs.read({
    functions: chosen.map((fn) => ({ name: fn.name, logGroup: functionLogGroup(functionNameFor(deployment.id, fn.name)) })),
    level: filters.level,
    since,
    until,
    limit: filters.limit,
    cursor: filters.cursor,
  });
}
