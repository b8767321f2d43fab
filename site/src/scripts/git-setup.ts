import { ApiError, api, session } from '../lib/api.ts';
import { connectGitHub } from '../lib/git.ts';
import { announce, $, busy, errorText, h, requireSession, showError } from '../lib/ui.ts';
import type { InstallationInfo, Page } from '../lib/types.ts';

// The GitHub App's setup URL and its OAuth callback URL. GitHub sends the person here twice:
// 1. after installing the App: ?installation_id=…&setup_action=install&state=… — the page keeps
//    the installation and sends the person on to authorize the App (proving who they are);
// 2. after authorizing: ?code=…&state=… — the page links the installation with both.
await requireSession();
const region = $('#setup');
const params = new URLSearchParams(location.search);
const pending = session.pendingInstall();
const code = params.get('code');
const installationId = Number(params.get('installation_id') ?? (code ? pending?.installationId : undefined));
const state = params.get('state');
const action = params.get('setup_action');

// GitHub's redirect does not say which team started the install: the tab remembered it, and its
// token is the one the state belongs to.
const installTeam = pending?.teamId;
if (installTeam && session.current()?.teamId !== installTeam) session.use(installTeam);
const team = session.current();
const teamName = team ? `team ${team.teamName}` : 'this team';

/** A failure: what happened, what to do, and a way to start over. */
function fail(title: string, body: string | Node, options: { retry?: boolean } = {}): void {
  const actions = h('div', { class: 'row' });
  const status = h('p', { class: 'notice', role: 'status', 'aria-live': 'polite' });
  if (options.retry !== false) {
    const again = h('button', { type: 'button', class: 'primary' }, 'Connect GitHub again');
    again.addEventListener('click', () =>
      busy(again, async () => {
        const result = await connectGitHub();
        announce(status, result.message, result.ok ? 'ok' : 'error');
      }),
    );
    actions.append(again);
  }
  actions.append(h('a', { href: '/new/' }, 'Back to Import a Git repository'));
  region.replaceChildren(h('div', { class: 'notice error', role: 'alert' }, h('strong', {}, title), h('p', {}, body)), actions, status);
  region.setAttribute('aria-busy', 'false');
}

function explain(error: unknown): void {
  const code = error instanceof ApiError ? error.code : '';
  switch (code) {
    case 'invalid_install_state':
      return fail(
        'This install link has expired or was already used',
        `An install link works once, within an hour, for the team that started it (this tab is using ${teamName}). Start again with Connect GitHub.`,
      );
    case 'installation_taken':
      return fail(
        'This GitHub account is linked to another Runway team',
        'An installation of the Runway App belongs to one team. Ask that team to unlink it (Import a Git repository → Unlink), then choose Connect GitHub again, or install the App on another GitHub account.',
        { retry: false },
      );
    case 'installation_not_accessible':
      return fail(
        'Your GitHub account cannot access this installation',
        `The GitHub account you authorized has no access to installation ${installationId} of the Runway App. Sign in to GitHub as a member of that account, then choose Connect GitHub again.`,
      );
    case 'installation_not_found':
      return fail('GitHub does not know this installation', `GitHub has no installation ${installationId} of the Runway App: it may have been uninstalled meanwhile. Choose Connect GitHub again.`);
    case 'forbidden':
      return fail('Only an owner token can connect GitHub', `The token this tab uses for ${teamName} is not an owner's. Add the team again with an owner token (Team → Add a team), then choose Connect GitHub again.`, { retry: false });
    default:
      if (error instanceof ApiError && error.status === 401) return showError(region, error);
      return fail('GitHub could not be linked', `${errorText(error)} Start again with Connect GitHub.`);
  }
}

async function alreadyLinked(): Promise<InstallationInfo | undefined> {
  const linked = await api<Page<InstallationInfo>>('GET', '/v1/git/installations');
  return linked.items.find((i) => i.id === installationId);
}

async function run(): Promise<void> {
  if (action === 'request') {
    return fail(
      'An organization owner has to approve the install',
      'GitHub sent your request to install the Runway App to the owners of the organization. Once one approves it, come back and choose Connect GitHub again.',
      { retry: false },
    );
  }
  if (!Number.isSafeInteger(installationId) || installationId <= 0) {
    return fail('This page needs an installation from GitHub', 'GitHub sends you here after you install the Runway App, with the installation in the address. Start from Import a Git repository → Connect GitHub.');
  }
  try {
    if (!state) {
      // GitHub comes back without a state when the App's access was changed on GitHub ("update").
      const known = await alreadyLinked();
      if (known) return location.replace(`/new/?linked=${known.id}`);
      return fail('GitHub did not send back the install link', `Without it Runway cannot tell that installation ${installationId} belongs to ${teamName}. Start again with Connect GitHub.`);
    }
    if (!code) {
      // Step 1: keep the installation, then let GitHub tell us who the person is.
      if (!pending?.authorizeUrl) return fail('This tab did not start the install', 'Start from Import a Git repository → Connect GitHub in the tab you use for Runway.');
      session.rememberInstallation(installationId);
      region.replaceChildren(h('p', { class: 'notice' }, 'Installed. Confirming your GitHub account…'));
      return location.assign(pending.authorizeUrl);
    }
    const linked = await api<InstallationInfo>('POST', '/v1/git/installations', { installationId, state, code });
    session.endInstall();
    region.replaceChildren(h('p', { class: 'notice ok' }, `Connected GitHub account ${linked.accountLogin}. Opening its repositories…`));
    location.replace(`/new/?linked=${linked.id}`);
  } catch (error) {
    // A reload after success: the state is spent, but the installation is this team's.
    if (error instanceof ApiError && error.code === 'invalid_install_state') {
      // If even this lookup fails, the original error is the one worth explaining.
      const known = await alreadyLinked().catch(() => undefined);
      if (known) return location.replace(`/new/?linked=${known.id}`);
    }
    explain(error);
  }
}

void run();
