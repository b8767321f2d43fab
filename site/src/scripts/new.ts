import { ApiError, api, enc, session } from '../lib/api.ts';
import { connectGitHub, projectNameFor } from '../lib/git.ts';
import { $, age, announce, busy, confirmAction, errorText, h, requireSession, showError } from '../lib/ui.ts';
import type { CreateProjectBody, DeploymentInfo, InstallationInfo, Page, ProjectInfo, RepositoryInfo } from '../lib/types.ts';

// "Import Git Repository": the repositories the team's GitHub App installations can read, each
// importable as a project whose production branch deploys at once.
await requireSession();
const reposRegion = $('#repos');
const accountsRegion = $('#accounts');
const connect = $('#connect') as HTMLButtonElement;
const connectStatus = $('#connect-status');
const pageStatus = $('#page-status');
let installations: InstallationInfo[] = [];

async function startConnect(button: HTMLButtonElement, status: HTMLElement): Promise<void> {
  await busy(button, async () => {
    const result = await connectGitHub();
    announce(status, result.message, result.ok ? 'ok' : 'error');
  });
}

function connectPrompt(): HTMLElement {
  const button = h('button', { type: 'button', class: 'primary', id: 'connect-first' }, 'Connect GitHub');
  const status = h('p', { class: 'notice', role: 'status', 'aria-live': 'polite' });
  button.addEventListener('click', () => startConnect(button, status));
  const team = session.current()?.teamName;
  return h(
    'div',
    { class: 'panel connect' },
    h('p', {}, `No GitHub account is connected to ${team ? `team ${team}` : 'this team'} yet.`),
    h('p', { class: 'muted' }, 'Connect GitHub to install the Runway GitHub App on your account or organization and choose which repositories it may read. GitHub then brings you back here to import one.'),
    h('div', { class: 'row' }, button),
    status,
  );
}

function accountItem(i: InstallationInfo, repoCount: number): HTMLElement {
  const unlink = h('button', { type: 'button', 'aria-label': `Unlink ${i.accountLogin}` }, 'Unlink');
  unlink.addEventListener('click', async () => {
    const ok = await confirmAction(
      `Unlink ${i.accountLogin}?`,
      `Pushes to its repositories stop deploying and they leave the import list; projects and deployments stay. To revoke Runway's access on GitHub too, uninstall the App there.`,
      'Unlink',
    );
    if (!ok) return;
    await busy(unlink, async () => {
      try {
        await api('DELETE', `/v1/git/installations/${i.id}`);
        announce(connectStatus, `Unlinked ${i.accountLogin}.`);
        await load();
      } catch (error) {
        announce(connectStatus, errorText(error), 'error');
      }
    });
  });
  return h(
    'li',
    {},
    h(
      'div',
      { class: 'repo-head' },
      h(
        'div',
        {},
        h('span', { class: 'repo-name' }, i.accountLogin),
        ' ',
        h('span', { class: 'tag' }, i.accountType ?? 'Account'),
        i.suspended ? h('span', { class: 'tag tag-error' }, 'Suspended on GitHub') : null,
        h('div', { class: 'repo-meta' }, h('span', {}, `${repoCount} repositor${repoCount === 1 ? 'y' : 'ies'}`), h('span', {}, 'linked ', age(i.linkedAt))),
      ),
      unlink,
    ),
  );
}

/** The inline "configure and deploy" form under a repository. */
function importForm(repo: RepositoryInfo, onCancel: () => void): HTMLFormElement {
  const key = `import-${repo.id}`;
  const name = h('input', {
    type: 'text',
    name: 'name',
    id: `${key}-name`,
    required: true,
    pattern: '[a-z0-9]([a-z0-9\\-]*[a-z0-9])?',
    maxlength: '40',
    autocomplete: 'off',
    spellcheck: 'false',
    'aria-describedby': `${key}-name-hint`,
  });
  name.value = projectNameFor(repo.fullName);
  const branch = h('input', { type: 'text', name: 'branch', id: `${key}-branch`, required: true, autocomplete: 'off', spellcheck: 'false', 'aria-describedby': `${key}-branch-hint` });
  branch.value = repo.defaultBranch ?? 'main';
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Deploy');
  const cancel = h('button', { type: 'button' }, 'Cancel');
  const status = h('p', { class: 'notice', role: 'status', 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'import-form stack panel', novalidate: true, 'aria-labelledby': `${key}-title` },
    h('h3', { id: `${key}-title` }, `Import ${repo.fullName}`),
    h('label', {}, 'Project name', h('span', { class: 'hint', id: `${key}-name-hint` }, 'Lowercase letters, digits and inner dashes; it becomes the hostname.'), name),
    h('label', {}, 'Production branch', h('span', { class: 'hint', id: `${key}-branch-hint` }, 'Its pushes deploy to production; other branches get preview deployments.'), branch),
    h('div', { class: 'row' }, submit, cancel),
    status,
  );
  cancel.addEventListener('click', onCancel);
  form.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') onCancel();
  });
  // Kept across attempts: when the project was created but its first deployment failed, the
  // next attempt only deploys.
  let created: ProjectInfo | undefined;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const projectName = name.value.trim();
    const productionBranch = branch.value.trim();
    if (!created && (!name.checkValidity() || !projectName)) {
      name.setAttribute('aria-invalid', 'true');
      announce(status, 'Use 1–40 lowercase letters, digits and dashes, not starting or ending with a dash.', 'error');
      name.focus();
      return;
    }
    if (!productionBranch) {
      branch.setAttribute('aria-invalid', 'true');
      announce(status, 'Name the branch that deploys to production (usually main).', 'error');
      branch.focus();
      return;
    }
    name.removeAttribute('aria-invalid');
    branch.removeAttribute('aria-invalid');
    await busy(submit, async () => {
      try {
        if (!created) {
          announce(status, `Creating project ${projectName}…`);
          const body: CreateProjectBody = { name: projectName, gitRepository: { provider: 'github', repo: repo.fullName }, productionBranch };
          created = await api<ProjectInfo>('POST', '/v1/projects', body);
          name.readOnly = true;
        }
        announce(status, `Deploying ${created.productionBranch} of ${repo.fullName}…`);
        const deployment = await api<DeploymentInfo>('POST', '/v1/deployments', { project: created.name, gitSource: { branch: created.productionBranch } });
        location.assign(`/deployment/?id=${enc(deployment.id)}`);
      } catch (error) {
        announce(status, importError(error, repo, projectName, created), 'error');
        if (error instanceof ApiError && (error.code === 'project_name_taken' || error.code === 'invalid_project_name')) {
          name.setAttribute('aria-invalid', 'true');
          name.focus();
        }
      }
    });
  });
  return form;
}

function importError(error: unknown, repo: RepositoryInfo, projectName: string, created: ProjectInfo | undefined): string | Node {
  const code = error instanceof ApiError ? error.code : '';
  if (code === 'project_name_taken' && error instanceof ApiError && error.details.scope === 'platform') {
    return `The name ${projectName} is taken on this Runway: project names are global, like the hosts they become. Choose another name.`;
  }
  if (code === 'project_name_taken') return `This team already has a project named ${projectName}: choose another name.`;
  if (code === 'invalid_project_name') return `${projectName} cannot be a project name: names containing "-git-" or ending in "-git" are branch hosts. Choose another name.`;
  if (code === 'git_repository_not_accessible') return `Runway can no longer read ${repo.fullName}: on GitHub, give the Runway App access to it, then reload this page.`;
  if (!created) return errorText(error);
  // The project exists: say so, and where to go from here.
  const project = h('a', { href: `/project/?name=${enc(created.name)}` }, created.name);
  if (code === 'branch_not_found') return h('span', {}, 'Project ', project, ` was created, but ${repo.fullName} has no branch ${created.productionBranch}. Push to it, or change the production branch in the project's settings.`);
  return h('span', {}, 'Project ', project, ` was created, but its first deployment did not start: ${errorText(error)} Choose Deploy to try again.`);
}

function repoItem(repo: RepositoryInfo): HTMLLIElement {
  const importButton = h('button', { type: 'button', class: 'primary', 'aria-expanded': 'false', 'aria-label': `Import ${repo.fullName}` }, 'Import');
  const imported = repo.projects.length
    ? h('span', {}, 'Imported as ', ...repo.projects.flatMap((p, i) => [i > 0 ? ', ' : '', h('a', { href: `/project/?name=${enc(p)}` }, p)]))
    : null;
  const item = h(
    'li',
    { 'data-repo': repo.fullName.toLowerCase() },
    h(
      'div',
      { class: 'repo-head' },
      h(
        'div',
        {},
        h('span', { class: 'repo-name' }, repo.fullName),
        ' ',
        h('span', { class: 'tag' }, repo.private ? 'Private' : 'Public'),
        h('div', { class: 'repo-meta' }, repo.defaultBranch ? h('span', {}, 'default branch ', h('code', {}, repo.defaultBranch)) : null, imported),
      ),
      importButton,
    ),
  );
  let form: HTMLFormElement | undefined;
  const close = () => {
    form?.remove();
    form = undefined;
    importButton.setAttribute('aria-expanded', 'false');
    importButton.focus();
  };
  importButton.addEventListener('click', () => {
    if (form) return close();
    // One form open at a time.
    for (const open of reposRegion.querySelectorAll<HTMLButtonElement>('button[aria-expanded="true"]')) open.click();
    form = importForm(repo, close);
    item.append(form);
    importButton.setAttribute('aria-expanded', 'true');
    form.querySelector('input')?.focus();
  });
  return item;
}

function renderRepos(repos: RepositoryInfo[]): void {
  if (installations.length === 0) {
    reposRegion.replaceChildren(connectPrompt());
    return;
  }
  if (repos.length === 0) {
    reposRegion.replaceChildren(
      h('p', { class: 'panel' }, 'The connected GitHub accounts give Runway no repositories yet. On GitHub, configure the Runway App to include a repository (or connect another account below), then reload this page.'),
    );
    return;
  }
  const search = h('input', { type: 'search', id: 'repo-search', autocomplete: 'off', spellcheck: 'false', 'aria-controls': 'repo-list' });
  const none = h('p', { class: 'muted', hidden: true });
  const items = repos.map(repoItem);
  search.addEventListener('input', () => {
    const q = search.value.trim().toLowerCase();
    let shown = 0;
    for (const item of items) {
      item.hidden = !(item.dataset.repo ?? '').includes(q);
      if (!item.hidden) shown++;
    }
    none.hidden = shown > 0;
    none.textContent = `No repository matches “${search.value.trim()}”.`;
  });
  reposRegion.replaceChildren(
    h('div', { class: 'toolbar' }, h('label', {}, 'Search repositories', search), h('span', { class: 'muted' }, `${repos.length} repositor${repos.length === 1 ? 'y' : 'ies'}`)),
    h('ul', { class: 'repo-list', id: 'repo-list', 'aria-label': 'Repositories you can import' }, ...items),
    none,
  );
}

function renderAccounts(repos: RepositoryInfo[]): void {
  connect.hidden = installations.length === 0;
  if (installations.length === 0) {
    accountsRegion.replaceChildren(h('p', { class: 'muted' }, 'None yet: Connect GitHub above.'));
    return;
  }
  accountsRegion.replaceChildren(
    h('ul', { class: 'account-list' }, ...installations.map((i) => accountItem(i, repos.filter((r) => r.installationId === i.id).length))),
  );
}

async function load(): Promise<void> {
  try {
    const [linked, repos] = await Promise.all([api<Page<InstallationInfo>>('GET', '/v1/git/installations'), api<Page<RepositoryInfo>>('GET', '/v1/git/repositories')]);
    installations = linked.items;
    renderRepos(repos.items);
    renderAccounts(repos.items);
  } catch (error) {
    showError(reposRegion, error);
    accountsRegion.replaceChildren();
  } finally {
    reposRegion.setAttribute('aria-busy', 'false');
    accountsRegion.setAttribute('aria-busy', 'false');
  }
}

connect.addEventListener('click', () => startConnect(connect, connectStatus));

await load();
const linkedId = Number(new URLSearchParams(location.search).get('linked'));
const linked = installations.find((i) => i.id === linkedId);
if (linked) announce(pageStatus, `Connected GitHub account ${linked.accountLogin}. Choose a repository to import.`);
