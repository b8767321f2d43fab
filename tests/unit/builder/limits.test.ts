import { describe, expect, test } from 'vitest';
import { formatLimit, LAMBDA_COMPUTE_MAX_MINUTES, stepLimitsFor } from '../../../functions/src/builder/limits.ts';
import { DEFAULT_TIMEOUTS } from '../../../functions/src/builder/pipeline.ts';

describe('build step limits', () => {
  test.each([15, 60, 480, 2160])('the install and build limits of a %i-minute ceiling leave room for the other steps', (minutes) => {
    const ceiling = minutes * 60_000;
    const { installMs, buildMs } = stepLimitsFor(ceiling);
    expect(installMs).toBeGreaterThan(0);
    expect(buildMs).toBeGreaterThan(installMs);
    expect(ceiling - installMs - buildMs).toBeGreaterThanOrEqual(Math.min(ceiling / 5, 3 * 60_000) - 1);
  });

  test("the builder's defaults fit CodeBuild's 15-minute Lambda compute with 3 minutes to spare", () => {
    expect(LAMBDA_COMPUTE_MAX_MINUTES).toBe(15);
    expect(DEFAULT_TIMEOUTS).toEqual({ installMs: 288_000, buildMs: 432_000 });
    expect(15 * 60_000 - DEFAULT_TIMEOUTS.installMs - DEFAULT_TIMEOUTS.buildMs).toBe(180_000);
  });

  test('refuses a ceiling that is not positive', () => {
    expect(() => stepLimitsFor(0)).toThrow(RangeError);
  });

  test.each([
    [300_000, '5 min'],
    [288_000, '4.8 min'],
    [1500, '1.5 s'],
    [9000, '9 s'],
  ])('formats %i ms as %s', (ms, text) => {
    expect(formatLimit(ms)).toBe(text);
  });
});
