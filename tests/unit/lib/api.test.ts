import { describe, expect, test } from 'vitest';
import { expectedVersion, ifMatchVersion } from '../../../functions/src/lib/api.ts';
import { httpEvent } from '../../support/events.ts';

const withIfMatch = (value?: string) => httpEvent('PATCH /v1/projects/{idOrName}', value === undefined ? {} : { headers: { 'if-match': value } });

describe('If-Match', () => {
  test.each([
    ['"3"', 3],
    ['3', 3],
    ['W/"12"', 12],
  ])('%s is version %d', (header, version) => {
    expect(ifMatchVersion(withIfMatch(header))).toBe(version);
  });

  test('absent is undefined', () => {
    expect(ifMatchVersion(withIfMatch())).toBeUndefined();
  });

  test.each(['*', '"abc"', '-1', '"1", "2"'])('%s is invalid_if_match', (header) => {
    expect(() => ifMatchVersion(withIfMatch(header))).toThrow(expect.objectContaining({ code: 'invalid_if_match' }));
  });

  test('If-Match and a body version that differ are refused', () => {
    expect(() => expectedVersion(withIfMatch('2'), 3)).toThrow(expect.objectContaining({ code: 'version_mismatch' }));
    expect(expectedVersion(withIfMatch('2'), 2)).toBe(2);
    expect(expectedVersion(withIfMatch(), 4)).toBe(4);
  });
});
