import { expect, test } from 'vitest';
import { DEFAULT_ROUTE, HTTP_HANDLERS, HTTP_ROUTES, routeKey } from '../../../functions/src/handlers/http/routes.ts';

test.each(HTTP_HANDLERS)('handler module %s serves exactly its routes from the shared table', async (name) => {
  const mod = (await import(`../../../functions/src/handlers/http/${name}.ts`)) as { routes: Record<string, unknown>; handler: unknown };
  const expected = [...HTTP_ROUTES.filter((r) => r.handler === name).map(routeKey), ...(name === DEFAULT_ROUTE.handler ? [DEFAULT_ROUTE.key] : [])].sort();
  expect(Object.keys(mod.routes).sort()).toEqual(expected);
  expect(typeof mod.handler).toBe('function');
});

test('route keys are unique', () => {
  const keys = HTTP_ROUTES.map(routeKey);
  expect(new Set(keys).size).toBe(keys.length);
});
