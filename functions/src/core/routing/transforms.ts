import * as z from 'zod';

/**
 * Route `transforms` (Build Output API v3; vercel/vercel packages/routing-utils/src/types.ts
 * `HeaderQueryTransform`), applied in order when their route matches:
 * - `request.query`: the query the function (or a rewrite) sees — SvelteKit's adapter-vercel deletes
 *   `__pathname` on its first route, so a visitor cannot choose the path its ISR functions render;
 * - `request.headers`: headers of the request a function receives — Next.js appends
 *   `x-server-action-name` to server-action requests;
 * - `response.headers`: headers of the answer.
 * Ops: `set` replaces the values with `args`, `append` adds `args` after the existing value,
 * `delete` removes the key. Condition-object keys (`{eq, pre, …}`), `env` and `request.path` are
 * refused by the schema, naming the field, rather than ignored.
 */
export const RouteTransformSchema = z.strictObject(
  {
    type: z.enum(['request.query', 'request.headers', 'response.headers'], {
      error: (issue) => `transform type ${JSON.stringify(issue.input)} is not supported (Runway applies "request.query", "request.headers" and "response.headers" transforms)`,
    }),
    op: z.enum(['append', 'set', 'delete']),
    target: z.strictObject({ key: z.string({ error: 'a transform target.key must be a plain string (condition objects are not supported)' }).min(1).max(4096) }),
    args: z.union([z.string().max(4096), z.array(z.string().max(4096)).max(64)]).optional(),
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? `transform has field(s) Runway does not support: ${(issue.keys ?? []).join(', ')}` : undefined) },
);
export type RouteTransform = z.infer<typeof RouteTransformSchema>;

const argsOf = (t: RouteTransform): string[] => (t.args === undefined ? [] : Array.isArray(t.args) ? t.args : [t.args]);

/**
 * The query after the `request.query` transforms among `transforms`.
 * @param query without "?", e.g. `a=1&__pathname=%2Fx`
 * @returns the new query without "?" ("" when empty)
 */
export function applyQueryTransforms(query: string, transforms: readonly RouteTransform[]): string {
  const params = new URLSearchParams(query);
  for (const t of transforms) {
    if (t.type !== 'request.query') continue;
    if (t.op !== 'append') params.delete(t.target.key);
    if (t.op !== 'delete') for (const value of argsOf(t)) params.append(t.target.key, value);
  }
  return params.toString();
}

/**
 * Applies header transforms of one `type` to `headers` in place (lower-case names; an appended
 * value joins the existing one with ", ", as repeated header fields combine per RFC 9110 §5.3).
 */
export function applyHeaderTransforms(headers: Record<string, string>, transforms: readonly RouteTransform[], type: 'request.headers' | 'response.headers'): void {
  for (const t of transforms) {
    if (t.type !== type) continue;
    const key = t.target.key.toLowerCase();
    const value = argsOf(t).join(', ');
    if (t.op === 'delete') delete headers[key];
    else if (t.op === 'set') headers[key] = value;
    else if (value !== '') headers[key] = Object.hasOwn(headers, key) && headers[key] !== '' ? `${headers[key]}, ${value}` : value;
  }
}
