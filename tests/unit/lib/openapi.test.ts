import fs from 'node:fs';
import { expect, test } from 'vitest';
import { OPENAPI_FILE, openApiDocument } from '../../../scripts/openapi.ts';
import { HTTP_ROUTES } from '../../../functions/src/handlers/http/routes.ts';

test('the checked-in OpenAPI document is the one the handlers\' schemas generate (run `npm run openapi` after changing them)', async () => {
  const generated = await openApiDocument();
  expect(fs.readFileSync(OPENAPI_FILE, 'utf8')).toBe(generated);
  const document = JSON.parse(generated);
  for (const r of HTTP_ROUTES) expect(document.paths[r.path]?.[r.method.toLowerCase()], `${r.method} ${r.path}`).toBeDefined();
}, 60_000);
