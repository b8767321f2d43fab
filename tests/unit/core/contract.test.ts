import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { assertSafeRelativePath, UnsafePathError } from '../../../functions/src/builder/paths.ts';
import { buildManifest } from '../../../functions/src/builder/manifest.ts';
import { parseJob } from '../../../functions/src/builder/job.ts';
import { Build } from '../../../functions/src/core/build/index.ts';
import { isResultLine, pathProblem, resultLine, resultOf } from '../../../functions/src/core/build/contract.ts';
import { FileList } from '../../../functions/src/core/deployment/files.ts';

/**
 * One build contract for the control plane and the builder: the same path rule on both sides,
 * a manifest the builder writes is one the control plane accepts, one result line.
 */
const sha = 'a'.repeat(64);
const builderAccepts = (path: string) => {
  try {
    assertSafeRelativePath(path);
    return true;
  } catch (error) {
    if (error instanceof UnsafePathError) return false;
    throw error;
  }
};
const uploadAccepts = (path: string) => FileList.safeParse([{ file: path, sha, size: 1 }]).success;

describe('one safe-relative-path rule', () => {
  test.each([
    ['_astro/_...slug_.7d33a135.css', true],
    ['a..b/c...d.txt', true],
    ['x'.repeat(1024), true],
    ['é'.repeat(512), true],
    ['é'.repeat(513), false],
    ['a\tb.html', false],
    ['line\nbreak.html', false],
    ['a\u007f', false],
    ['../x', false],
    ['a/./b', false],
    ['a\\b', false],
  ])('%j: accepted %s by the upload check and the builder alike', (path, accepted) => {
    expect(uploadAccepts(path)).toBe(accepted);
    expect(builderAccepts(path)).toBe(accepted);
    expect(pathProblem(path) === undefined).toBe(accepted);
  });

  test('any string: the upload check and the builder agree', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.array(fc.constantFrom('.', '..', '', 'a', 'é', '\t'), { maxLength: 4 }), (s, segments) => {
        const path = [s, ...segments].join('/');
        expect(builderAccepts(path)).toBe(uploadAccepts(path));
      }),
    );
  });
});

test("a manifest the builder writes is one the control plane's manifest schema accepts", () => {
  const manifest = buildManifest({
    deploymentId: 'dpl_abcdefghi',
    framework: 'vite',
    createdAt: new Date('2026-01-01T00:00:00Z'),
    files: [
      { path: 'index.html', absPath: '/x', sha, size: 10, contentType: 'text/html; charset=utf-8' },
      { path: '_astro/_...slug_.7d33a135.css', absPath: '/y', sha, size: 3, contentType: 'text/css; charset=utf-8' },
    ],
    config: { vercelJson: { cleanUrls: true } },
  });
  expect(Build.ManifestSchema.parse(JSON.parse(JSON.stringify(manifest)))).toEqual(manifest);
});

test('the job the control plane writes is the job the builder parses', () => {
  const job = parseJob({ deploymentId: 'dpl_abcdefghi', projectId: 'prj_x', source: { type: 'git', commitSha: '1'.repeat(40) }, overrides: { framework: 'astro' } });
  expect(job).toMatchObject({ env: {}, sensitiveKeys: [], overrides: { framework: 'astro' } });
});

test('the result line: written by the builder, read back with its figures, left out of error messages', () => {
  const line = resultLine({ ok: false, step: 'build', error: 'exit code 1', durationsMs: { build: 12 } });
  expect(isResultLine(`2026-01-01T00:00:00Z ${line}`)).toBe(true);
  expect(resultOf(['npm run build', `2026-01-01T00:00:00Z ${line}`, 'trailing'])).toEqual({ ok: false, step: 'build', error: 'exit code 1', durationsMs: { build: 12 } });
  expect(resultOf(['no result here'])).toBeUndefined();
});
