import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { FileList, filePathProblem, MAX_FILES } from '../../../functions/src/core/deployment/files.ts';

const sha = 'a'.repeat(64);
const entry = (file: string) => ({ file, sha, size: 1 });
const segment = fc.stringMatching(/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,15}$/).filter((s) => s !== '.' && s !== '..');

describe('deployment file paths', () => {
  test.each(['index.html', 'assets/app.1a2b.js', '.well-known/security.txt', 'a/b/c/d.txt', 'café/menu.html', 'x'.repeat(1024)])('%s is accepted', (path) => {
    expect(filePathProblem(path)).toBeUndefined();
  });

  test.each([
    ['', 'is empty'],
    ['/etc/passwd', 'relative'],
    ['a\\b', '"/" as separator'],
    ['a\u0000b', 'control character'],
    ['a\tb', 'control character'],
    ['a\u007fb', 'control character'],
    ['a//b', 'empty segment'],
    ['dir/', 'empty segment'],
    ['./a', '"." segment'],
    ['a/../b', '".." segment'],
    ['..', '".." segment'],
    ['x'.repeat(1025), 'longer than 1024 bytes'],
    ['é'.repeat(513), 'longer than 1024 bytes'],
  ])('%j is refused: %s', (path, reason) => {
    expect(filePathProblem(path)).toContain(reason);
  });

  test('any path with a ".." segment is refused, wherever it is', () => {
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 5 }), fc.array(segment, { maxLength: 5 }), (before, after) => {
        expect(filePathProblem([...before, '..', ...after].join('/'))).toBeDefined();
      }),
    );
  });

  test('any path joined from clean segments is accepted', () => {
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 8 }), (segments) => {
        expect(filePathProblem(segments.join('/'))).toBeUndefined();
      }),
    );
  });

  test('a file list refuses duplicate paths and names the duplicate', () => {
    const result = FileList.safeParse([entry('a.html'), entry('b.html'), entry('a.html')]);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual([2, 'file']);
  });

  test(`a file list holds 1 to ${MAX_FILES} files`, () => {
    expect(FileList.safeParse([]).success).toBe(false);
    expect(FileList.safeParse(Array.from({ length: MAX_FILES }, (_, i) => entry(`f${i}`))).success).toBe(true);
    expect(FileList.safeParse(Array.from({ length: MAX_FILES + 1 }, (_, i) => entry(`f${i}`))).success).toBe(false);
  });
});
