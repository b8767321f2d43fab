import { describe, expect, it } from 'vitest';
import { InvalidJobError, parseJob } from '../../../functions/src/builder/job.ts';

const sha = 'a'.repeat(64);
const valid = {
  deploymentId: 'dpl_123',
  projectId: 'prj_1',
  source: { type: 'files', files: [{ file: 'index.html', sha, size: 10 }] },
  overrides: { rootDirectory: 'apps/web' },
  env: { API_URL: 'https://x', SECRET: 'hunter22' },
  sensitiveKeys: ['SECRET'],
  cacheKey: 'prj_1-main',
};

describe('parseJob', () => {
  it('accepts a full job', () => {
    expect(parseJob(valid)).toEqual(valid);
  });

  it('accepts a tarball source and fills defaults', () => {
    const job = parseJob({ deploymentId: 'd1', projectId: 'p1', source: { type: 'tarball', url: 'https://codeload.github.com/o/r/tar.gz/abc', sha } });
    expect(job).toMatchObject({ overrides: {}, env: {}, sensitiveKeys: [] });
    expect(job.cacheKey).toBeUndefined();
  });

  it.each([
    ['an unknown top-level field', { ...valid, extra: 1 }],
    ['an unknown override', { ...valid, overrides: { devCommand: 'x' } }],
    ['an unknown source field', { ...valid, source: { ...valid.source, ref: 'main' } }],
    ['an unknown file field', { ...valid, source: { type: 'files', files: [{ file: 'a', sha, size: 1, mode: 0o755 }] } }],
    ['a source path with ..', { ...valid, source: { type: 'files', files: [{ file: '../x', sha, size: 1 }] } }],
    ['an absolute source path', { ...valid, source: { type: 'files', files: [{ file: '/etc/passwd', sha, size: 1 }] } }],
    ['duplicate source paths', { ...valid, source: { type: 'files', files: [{ file: 'a', sha, size: 1 }, { file: 'a', sha, size: 1 }] } }],
    ['an uppercase sha', { ...valid, source: { type: 'files', files: [{ file: 'a', sha: 'A'.repeat(64), size: 1 }] } }],
    ['a non-http tarball', { ...valid, source: { type: 'tarball', url: 'file:///etc/passwd', sha } }],
    ['a deploymentId with a slash', { ...valid, deploymentId: 'a/b' }],
    ['an unknown framework', { ...valid, overrides: { framework: 'gatsby' } }],
    ['a cacheKey with a slash', { ...valid, cacheKey: '../x' }],
  ])('rejects %s', (_, input) => {
    expect(() => parseJob(input)).toThrow(InvalidJobError);
  });

  it('never echoes env values in its error', () => {
    try {
      parseJob({ ...valid, env: { SECRET: 42 } });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toMatch(/env\.SECRET/);
      expect((error as Error).message).not.toContain('hunter22');
    }
  });
});
