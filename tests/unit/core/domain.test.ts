import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { allows, mayGrant } from '../../../functions/src/core/auth/access.ts';
import { windowOf, WINDOW_MS } from '../../../functions/src/core/auth/rate-limit.ts';
import { hashSecret, newSecret, authenticate } from '../../../functions/src/core/auth/token.ts';
import { Alias } from '../../../functions/src/core/alias/index.ts';
import { Deployment } from '../../../functions/src/core/deployment/index.ts';
import { Files } from '../../../functions/src/core/files/index.ts';
import { newId, shortIdOf } from '../../../functions/src/core/ids.ts';
import { DirSetting, FRAMEWORKS } from '../../../functions/src/core/project/index.ts';
import { FRAMEWORKS as BUILDER_FRAMEWORKS } from '../../../functions/src/builder/job.ts';
import { override } from '../../../functions/src/core/context.ts';
import { InMemoryBlobStore } from '../../support/fakes.ts';

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

describe('ids', () => {
  test('deployment ids carry a 9-character base36 short id usable in a DNS label', () => {
    const id = newId('dpl');
    expect(id).toMatch(/^dpl_[0-9a-z]{9}$/);
    expect(shortIdOf(id)).toMatch(/^[0-9a-z]{9}$/);
  });

  test('other ids have 16 random characters and do not repeat', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newId('prj')));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^prj_[0-9a-z]{16}$/);
  });
});

describe('roles', () => {
  test.each([
    ['viewer', 'read', true],
    ['viewer', 'write', false],
    ['member', 'write', true],
    ['member', 'admin', false],
    ['owner', 'admin', true],
  ] as const)('%s has %s access: %s', (role, access, expected) => {
    expect(allows(role, access)).toBe(expected);
  });

  test('a token never hands out more than its own role', () => {
    expect(mayGrant('member', 'owner')).toBe(false);
    expect(mayGrant('member', 'viewer')).toBe(true);
    expect(mayGrant('owner', 'owner')).toBe(true);
  });
});

describe('tokens', () => {
  test('a secret is rwy_ and 256 random bits; only its sha256 is kept', () => {
    const secret = newSecret();
    expect(secret).toMatch(/^rwy_[A-Za-z0-9_-]{43}$/);
    expect(hashSecret(secret)).toBe(sha(secret));
  });

  test('a bearer value without the prefix is refused before any lookup', async () => {
    await expect(authenticate('ghp_notours')).rejects.toMatchObject({ code: 'unauthorized' });
  });
});

describe('rate-limit windows', () => {
  test('Retry-After is the rest of the fixed window, at least 1 s', () => {
    const start = 1_700_000_040_000 - (1_700_000_040_000 % WINDOW_MS);
    expect(windowOf(start)).toEqual({ start, retryAfterSeconds: 60 });
    expect(windowOf(start + 59_500)).toEqual({ start, retryAfterSeconds: 1 });
    expect(windowOf(start + 30_001).retryAfterSeconds).toBe(30);
  });
});

describe('project settings', () => {
  test('framework presets are the ones the builder knows', () => {
    expect([...FRAMEWORKS]).toEqual([...BUILDER_FRAMEWORKS]);
  });

  test.each([
    ['./web/', 'web'],
    ['', '.'],
    ['.', '.'],
    ['apps/site', 'apps/site'],
  ])('directory %j is stored as %j', (input, stored) => {
    expect(DirSetting.parse(input)).toBe(stored);
  });
});

describe('state machine', () => {
  test('READY, ERROR and CANCELED are final', () => {
    expect(Deployment.TRANSITIONS.READY).toEqual([]);
    expect(Deployment.TRANSITIONS.ERROR).toEqual([]);
    expect(Deployment.TRANSITIONS.CANCELED).toEqual([]);
  });

  test.each([
    [['READY'], 'BUILDING'],
    [['QUEUED'], 'READY'],
    [['BUILDING', 'READY'], 'ERROR'],
    [[], 'CANCELED'],
  ] as const)('a transition from %j to %s is a bug, refused before any write', async (from, to) => {
    await expect(Deployment.transition('dpl_aaaaaaaaa', { from, to })).rejects.toBeInstanceOf(Deployment.InvalidTransitionError);
  });
});

describe('uploads (with an in-memory blob store)', () => {
  let blobs: InMemoryBlobStore;
  let restore: () => void;
  beforeEach(() => {
    blobs = new InMemoryBlobStore();
    restore = override({ blobStore: blobs });
  });
  afterEach(() => restore());

  test('bytes that hash to the header digest are stored under the team', async () => {
    const bytes = Buffer.from('hello');
    expect(await Files.upload('team_a', `sha256=${sha(bytes)}`, bytes)).toEqual({ sha: sha(bytes), size: 5 });
    expect(await blobs.get('team_a', sha(bytes))).toEqual(bytes);
  });

  test('a mismatching digest is digest_mismatch and stores nothing', async () => {
    await expect(Files.upload('team_a', `sha256=${sha('other')}`, Buffer.from('hello'))).rejects.toMatchObject({ code: 'digest_mismatch' });
    expect(blobs.blobs.size).toBe(0);
  });

  test.each([undefined, 'sha256=XYZ', `md5=${'a'.repeat(32)}`, sha('x')])('digest header %j is invalid_digest', async (header) => {
    await expect(Files.upload('team_a', header, Buffer.from('x'))).rejects.toMatchObject({ code: 'invalid_digest' });
  });

  test('missing asks for each unknown sha once', async () => {
    await blobs.put('team_a', sha('a'), Buffer.from('a'));
    const missing = await Files.missing('team_a', [{ sha: sha('b') }, { sha: sha('a') }, { sha: sha('b') }]);
    expect(missing).toEqual([sha('b')]);
  });

  test("a deployment's file list comes back from the blob store; a git source as is", async () => {
    const files = [{ file: 'a.html', sha: sha('a'), size: 1 }];
    const bytes = Buffer.from(JSON.stringify(files));
    await blobs.put('team_a', sha(bytes), bytes);
    const summary = { type: 'files' as const, fileCount: 1, totalBytes: 1, filesSha: sha(bytes) };
    expect(await Deployment.sourceOf({ id: 'dpl_x', teamId: 'team_a', source: summary })).toEqual({ type: 'files', files });
    const git = { type: 'git' as const, provider: 'github' as const, repo: 'a/b', sha: 'f'.repeat(40) };
    expect(await Deployment.sourceOf({ id: 'dpl_x', teamId: 'team_a', source: git })).toBe(git);
  });
});

describe('edge values', () => {
  test('are the deployment id, with the routing-config key when there is one', () => {
    expect(Alias.edgeValue({ id: 'dpl_abc', configKey: undefined })).toBe('dpl_abc');
    expect(Alias.edgeValue({ id: 'dpl_abc', configKey: 'k1' })).toBe('dpl_abc k1');
  });
});
