import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  InvalidHostnamePartError,
  branchHost,
  branchSlug,
  deploymentHost,
  productionHost,
} from '../../../functions/src/core/routing/hostnames.ts';

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const firstLabel = (host: string) => host.split('.')[0] as string;

const project = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/);
const branch = fc.oneof(fc.string({ maxLength: 120 }), fc.string({ unit: 'grapheme', maxLength: 80 }));

describe('branchSlug', () => {
  test.each([
    ['Feature/Login_Page', 'feature-login-page'],
    ['--fix--', 'fix'],
    ['release/1.2', 'release-1-2'],
  ])('%s → %s', (input, expected) => {
    expect(branchSlug(input)).toBe(expected);
  });

  test('a branch with no letters or digits still gets a non-empty slug', () => {
    expect(branchSlug('日本語')).toMatch(/^[0-9a-f]{6}$/);
  });
});

describe('branchHost', () => {
  test('is <project>-git-<slug>.<domain> when it fits', () => {
    expect(branchHost('myapp', 'feature/x', 'runway.example.com')).toBe('myapp-git-feature-x.runway.example.com');
  });

  test('its first label is always DNS-label-safe and at most 63 characters', () => {
    fc.assert(
      fc.property(project, branch, (p, b) => {
        expect(firstLabel(branchHost(p, b, 'localhost'))).toMatch(LABEL);
      }),
    );
  });

  test('is deterministic', () => {
    fc.assert(
      fc.property(project, branch, (p, b) => {
        expect(branchHost(p, b, 'localhost')).toBe(branchHost(p, b, 'localhost'));
      }),
    );
  });

  test('long branches that share a 63-character prefix get different hosts', () => {
    const prefix = 'feature/a-very-long-branch-name-that-goes-on-and-on-and-on-';
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9]{1,20}$/), fc.stringMatching(/^[a-z0-9]{1,20}$/), (a, b) => {
        fc.pre(a !== b);
        expect(branchHost('myapp', prefix + a, 'localhost')).not.toBe(branchHost('myapp', prefix + b, 'localhost'));
      }),
    );
  });
});

describe('deploymentHost and productionHost', () => {
  test('deploymentHost is <project>-<shortId>.<domain>', () => {
    expect(deploymentHost('myapp', 'abc123', 'runway.example.com')).toBe('myapp-abc123.runway.example.com');
  });

  test('deploymentHost keeps the whole short id when the project name is long', () => {
    fc.assert(
      fc.property(project, fc.stringMatching(/^[a-z0-9]{6,12}$/), (p, id) => {
        const label = firstLabel(deploymentHost(p.padEnd(63, 'x'), id, 'localhost'));
        expect(label).toMatch(LABEL);
        expect(label.endsWith(`-${id}`)).toBe(true);
      }),
    );
  });

  test('productionHost is <project>.<domain>, lowercased', () => {
    expect(productionHost('myapp', 'Runway.Example.com')).toBe('myapp.runway.example.com');
  });

  test('a project name that is not a DNS label is refused', () => {
    expect(() => productionHost('My_App', 'localhost')).toThrow(InvalidHostnamePartError);
  });
});
