import { describe, expect, test } from 'vitest';
import { GitHubJob } from '../../../functions/src/core/github/schema.ts';
import { groupOf, toJob } from '../../../functions/src/core/github/webhook.ts';
import { example, pullRequestPayload, pushPayload } from '../../support/github.ts';

const repo = { id: 4242, fullName: 'acme/site' };
const sha = 'a'.repeat(40);

describe('webhook payloads → worker jobs (real @octokit/webhooks-examples payloads)', () => {
  test('a branch push becomes a push job with the branch, commit and installation', () => {
    const job = toJob('push', 'd1', pushPayload({ installationId: 7, repo, branch: 'feature/x', sha, message: 'Add x' }));
    expect(GitHubJob.parse(job)).toEqual({
      kind: 'push',
      deliveryId: 'd1',
      installationId: 7,
      repository: expect.objectContaining(repo),
      branch: 'feature/x',
      after: sha,
      deleted: false,
      headCommit: { sha, message: 'Add x' },
    });
  });

  test('the unmodified master push example maps as it is', () => {
    const payload = example('push', (p) => p.ref === 'refs/heads/master' && p.installation);
    const job = toJob('push', 'd2', payload);
    expect(job).toMatchObject({ kind: 'push', branch: 'master', installationId: payload.installation.id, repository: { fullName: 'Codertocat/Hello-World' } });
  });

  test('tag pushes and pushes without an installation are ignored', () => {
    expect(toJob('push', 'd', example('push', (p) => p.ref.startsWith('refs/tags/') && p.installation))).toBeUndefined();
    // A repository webhook (not the App's) carries no installation.
    const noInstallation = example('push', (p) => p.ref === 'refs/heads/master');
    delete noInstallation.installation;
    expect(toJob('push', 'd', noInstallation)).toBeUndefined();
  });

  test('a branch deletion is a push job with deleted set and no head commit', () => {
    const job = toJob('push', 'd', pushPayload({ installationId: 7, repo, branch: 'old', sha, deleted: true }));
    expect(job).toMatchObject({ kind: 'push', deleted: true, headCommit: null, branch: 'old' });
  });

  test.each(['opened', 'reopened', 'synchronize', 'closed'])('pull_request.%s becomes a job; the fork flag follows the head repository', (action) => {
    const payload = pullRequestPayload({ action, number: 12, installationId: 7, repo, branch: 'feat', sha });
    expect(toJob('pull_request', 'd', payload)).toMatchObject({ kind: 'pull_request', action, number: 12, branch: 'feat', headSha: sha, fromFork: false });
    payload.pull_request.head.repo.id = 999;
    expect(toJob('pull_request', 'd', payload)).toMatchObject({ fromFork: true });
  });

  test('pull_request actions that do not change code are ignored', () => {
    for (const action of ['labeled', 'assigned', 'locked']) {
      const payload = example('pull_request', (p) => p.action === action && p.installation);
      expect(toJob('pull_request', 'd', payload)).toBeUndefined();
    }
  });

  test('installation and installation_repositories examples map with their repositories', () => {
    const created = example('installation', (p) => p.action === 'created');
    expect(GitHubJob.parse(toJob('installation', 'd', created))).toMatchObject({
      kind: 'installation',
      action: 'created',
      installationId: created.installation.id,
      account: { login: created.installation.account.login },
      repositories: created.repositories.map((r: { id: number; full_name: string }) => expect.objectContaining({ id: r.id, fullName: r.full_name })),
    });
    const added = example('installation_repositories', (p) => p.action === 'added');
    expect(GitHubJob.parse(toJob('installation_repositories', 'd', added))).toMatchObject({ kind: 'installation_repositories', action: 'added', added: expect.any(Array) });
  });

  test('unknown events are ignored; malformed payloads of known events are rejected', () => {
    expect(toJob('issues', 'd', example('issues'))).toBeUndefined();
    const bad = pushPayload({ installationId: 7, repo, branch: 'main', sha });
    bad.after = 'not-a-sha';
    expect(() => toJob('push', 'd', bad)).toThrow(/shape of this event/);
    expect(() => toJob('pull_request', 'd', { action: 'opened' })).toThrow(/shape of this event/);
  });

  test('one FIFO group per repository and branch, one per installation', () => {
    const a = toJob('push', 'd', pushPayload({ installationId: 7, repo, branch: 'main', sha }))!;
    const b = toJob('pull_request', 'd', pullRequestPayload({ action: 'opened', number: 1, installationId: 7, repo, branch: 'main', sha }))!;
    expect(groupOf(a)).toBe(groupOf(b));
    expect(groupOf(toJob('push', 'd', pushPayload({ installationId: 7, repo, branch: 'dev', sha }))!)).not.toBe(groupOf(a));
    expect(groupOf(toJob('installation', 'd', example('installation', (p) => p.action === 'created'))!)).toMatch(/^installation-\d+$/);
  });
});
