import * as z from 'zod';

/**
 * Route `transforms` (Build Output API v3; vercel/vercel packages/routing-utils/src/types.ts
 * `HeaderQueryTransform`): Runway applies the `request.query` ones — what SvelteKit's
 * adapter-vercel writes (`{type: 'request.query', op: 'delete', target: {key: '__pathname'}}` on its
 * first route, so a visitor cannot choose the path its ISR functions render). Request and response
 * header transforms, condition-object keys (`{eq, pre, …}`) and `request.path` are refused by the
 * schema, naming the field, rather than ignored.
 */
export const QueryTransformSchema = z.strictObject(
  {
    type: z.literal('request.query', { error: (issue) => `transform type ${JSON.stringify(issue.input)} is not supported (Runway applies "request.query" transforms only)` }),
    op: z.enum(['append', 'set', 'delete']),
    target: z.strictObject({ key: z.string({ error: 'a transform target.key must be a plain string (condition objects are not supported)' }).min(1).max(4096) }),
    args: z.union([z.string().max(4096), z.array(z.string().max(4096)).max(64)]).optional(),
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? `transform has field(s) Runway does not support: ${(issue.keys ?? []).join(', ')}` : undefined) },
);
export type QueryTransform = z.infer<typeof QueryTransformSchema>;

/**
 * The query after a route's transforms, in order: `delete` removes the key, `set` replaces its
 * values with `args`, `append` adds `args` after the existing values.
 * @param query without "?", e.g. `a=1&__pathname=%2Fx`
 * @returns the new query without "?" ("" when empty)
 */
export function applyQueryTransforms(query: string, transforms: readonly QueryTransform[]): string {
  const params = new URLSearchParams(query);
  for (const t of transforms) {
    const args = t.args === undefined ? [] : Array.isArray(t.args) ? t.args : [t.args];
    if (t.op !== 'append') params.delete(t.target.key);
    if (t.op !== 'delete') for (const value of args) params.append(t.target.key, value);
  }
  return params.toString();
}
