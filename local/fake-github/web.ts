/**
 * github.com pages the flows go through (the App's install page) and the fake's own control API
 * (`/_fake/…`): what `git push` and deleting a branch would do, with their push webhooks.
 */
import * as z from 'zod';
import { created, escapeHtml, GitHubApiError, htmlPage, none, notFound, ok, parseBody, type Reply, type Route } from './http.ts';
import { DEFAULT_USER, type InstallationState, LOGIN, nowIso, repoKey, type RepoState, treePath, WEB_INSTALL_ACCOUNT, type World } from './world.ts';

/** The owner and name GitHub allows (`/_fake/repos/{owner}/{repo}/…`): what Runway's webhook accepts too. */
const ControlRepo = z.object({
  owner: z.string().regex(/^[A-Za-z0-9-]{1,39}$/),
  repo: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,100}$/)
    .refine((name) => name !== '.' && name !== '..'),
});

/** A branch name `git check-ref-format --branch` accepts: a push payload's ref must be one GitHub could send. */
const BranchName = z
  .string()
  .min(1)
  .max(255)
  .refine(
    (name) =>
      !name.startsWith('-') &&
      name !== '@' &&
      !name.endsWith('.') &&
      !name.endsWith('.lock') &&
      !['..', '@{'].some((bad) => name.includes(bad)) &&
      // Control characters, space and the characters git reserves for revision syntax.
      !/[\x00-\x20\x7f~^:?*[\\]/.test(name) &&
      name.split('/').every((part) => part !== '' && !part.startsWith('.')),
    'is not a valid git branch name',
  );

const PushControlBody = z.strictObject({
  branch: BranchName,
  /** The whole tree of the new commit: path → UTF-8 text, or bytes as base64. */
  files: z
    .record(z.string().min(1).max(4096), z.union([z.string(), z.strictObject({ base64: z.base64() })]))
    .refine((files) => Object.keys(files).length > 0, 'a commit needs at least one file'),
  message: z.string().min(1).max(65_536).optional(),
});

/** The web page and control API routes, in the order they are tried. */
export function webRoutes(world: World): Route[] {
  const controlRepo = (params: Record<string, string>) => {
    const parsed = ControlRepo.safeParse(params);
    if (!parsed.success) throw new GitHubApiError(422, `Not a GitHub repository name: ${params.owner}/${params.repo}`);
    return `${parsed.data.owner}/${parsed.data.repo}`;
  };

  return [
    // --- github.com web pages ----------------------------------------------------------------
    none('GET', '/_web/apps/{slug}/installations/new', ({ params, url }): Reply => {
      if (params.slug !== world.appSlug) throw notFound();
      // The signed-in user who installs (`?login=`, not GitHub's): only they can access the installation.
      const login = url.searchParams.get('login') ?? DEFAULT_USER;
      if (!LOGIN.test(login)) return htmlPage(422, 'Unprocessable', `<p>Not a GitHub login: ${escapeHtml(login)}</p>`);
      // The user picks "All repositories" on the install page: every repository that exists and
      // has no installation yet.
      const repositories = [...world.repos.entries()]
        .filter(([key, r]) => r.commits.size > 0 && !world.installationOf(key))
        .map(([, r]) => ({ id: r.id, fullName: r.fullName, private: r.private, defaultBranch: r.defaultBranch }));
      const id = world.nextInstallationId();
      world.addInstallation({ id, account: { ...WEB_INSTALL_ACCOUNT }, repositories, users: [login] });
      world.hookshot?.send('installation', world.installationCreatedPayload(world.installations.get(id) as InstallationState, login));
      if (!world.setupUrl) return htmlPage(200, 'Installed', `<p>${login} installed ${world.appSlug} on ${WEB_INSTALL_ACCOUNT.login}: installation <strong id="installation-id">${id}</strong>.</p>`);
      const target = new URL(world.setupUrl);
      target.searchParams.set('installation_id', String(id));
      target.searchParams.set('setup_action', 'install');
      const state = url.searchParams.get('state');
      if (state !== null) target.searchParams.set('state', state);
      return { status: 302, headers: { location: target.href } };
    }),

    // --- control API: the fake's own, what `git push` would do (not recorded in `calls`) -----
    none(
      'POST',
      '/_fake/repos/{owner}/{repo}/push',
      ({ params, body }) => {
        const fullName = controlRepo(params);
        const input = parseBody(PushControlBody, body, 'Push');
        const files = Object.fromEntries(
          Object.entries(input.files).map(([file, content]) => {
            try {
              return [treePath(file), typeof content === 'string' ? Buffer.from(content, 'utf8') : Buffer.from(content.base64, 'base64')];
            } catch (cause) {
              throw new GitHubApiError(422, 'Validation Failed', { errors: [{ resource: 'Push', field: `files.${file}`, code: 'invalid', message: (cause as Error).message }] });
            }
          }),
        );
        const before = world.repos.get(repoKey(fullName))?.branches.get(input.branch);
        const { sha } = world.commit(fullName, input.branch, files, input.message);
        const r = world.repos.get(repoKey(fullName)) as RepoState;
        const deliveryId = world.hookshot?.send('push', world.pushPayload(r, input.branch, before, r.commits.get(sha))) ?? null;
        return created({ sha, created: before === undefined, installationId: world.installationOf(repoKey(fullName))?.id ?? null, deliveryId });
      },
      false,
    ),
    none(
      'DELETE',
      '/_fake/repos/{owner}/{repo}/branches/{branch+}',
      ({ params }) => {
        const r = world.repos.get(repoKey(controlRepo(params)));
        if (!r) throw notFound();
        const branch = params.branch as string;
        const before = r.branches.get(branch);
        if (!before) throw new GitHubApiError(422, 'Reference does not exist');
        // As on GitHub: the default branch is what clones check out, it cannot go away.
        if (branch === r.defaultBranch) throw new GitHubApiError(422, `Cannot delete the default branch ${branch}`);
        r.branches.delete(branch);
        r.updatedAt = nowIso();
        const deliveryId = world.hookshot?.send('push', world.pushPayload(r, branch, before, undefined)) ?? null;
        return ok({ before, installationId: world.installationOf(repoKey(r.fullName))?.id ?? null, deliveryId });
      },
      false,
    ),
  ];
}
