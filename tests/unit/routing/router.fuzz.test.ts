import fc from 'fast-check';
import { expect, test } from 'vitest';
import { parseBuildOutputConfig } from '../../../functions/src/core/routing/config.ts';
import { prepareRoutes, route, type RouteResult } from '../../../functions/src/core/routing/router.ts';
import { nextSizedDeployment } from '../../support/next-routes.ts';

const next = nextSizedDeployment();
const config = prepareRoutes(parseBuildOutputConfig(next.config));
const files = new Set(next.files);

const segment = fc.oneof(
  fc.constantFrom('', '.', '..', '%2e%2e', '%2E.', 'blog', 'index.html', '_next', 'static', '%00', '%ff', '%2F', 'a..b', '[...slug]', '%', 'caf%C3%A9'),
  fc.string({ unit: 'grapheme-ascii', maxLength: 12 }),
);
const rawPath = fc.array(segment, { maxLength: 8 }).map((parts) => `/${parts.join('/')}`);
const request = fc.record({
  method: fc.constantFrom('GET', 'HEAD', 'POST', 'get', 'OPTIONS'),
  path: rawPath,
  query: fc.oneof(fc.constant(''), fc.string({ maxLength: 30 }), fc.constantFrom('ref=partner', 'a=1&a=2', '%zz=%', 'beta')),
  host: fc.constantFrom('app.example.com', 'beta.example.com:8443', ''),
  headers: fc.dictionary(fc.constantFrom('cookie', 'x-nextjs-data', 'origin', 'accept'), fc.string({ maxLength: 30 })),
});

const wellFormed = (r: RouteResult): boolean => {
  if (typeof r.headers !== 'object') return false;
  switch (r.kind) {
    case 'file':
      return files.has(r.path) && r.status >= 100 && r.status <= 599;
    case 'redirect':
      return r.status >= 300 && r.status < 400 && typeof r.location === 'string';
    case 'external':
      return /^https?:\/\//.test(r.url);
    case 'error':
      return r.status >= 400 && r.status <= 599 && (r.file === undefined || files.has(r.file));
    case 'function':
      return false; // the table has no functions
  }
};

test('any request gets a well-formed answer from a Next-sized table: never a throw, files only from the deployment', () => {
  fc.assert(
    fc.property(request, (req) => {
      expect(wellFormed(route(config, files, req))).toBe(true);
    }),
    { numRuns: 3_000 },
  );
});

test('a path with a "." or ".." segment (escaped or not) is never served as a file', () => {
  const dotted = fc
    .tuple(fc.array(segment, { maxLength: 4 }), fc.constantFrom('.', '..', '%2e', '%2e%2e', '.%2E'), fc.array(segment, { maxLength: 4 }))
    .map(([a, dot, b]) => `/${[...a, dot, ...b].join('/')}`);
  fc.assert(
    fc.property(dotted, (path) => {
      const r = route(prepareRoutes(parseBuildOutputConfig({ version: 3 })), new Set(['index.html', 'a/index.html']), { method: 'GET', path, query: '', host: 'h', headers: {} });
      expect(r.kind).not.toBe('file');
    }),
    { numRuns: 2_000 },
  );
});
