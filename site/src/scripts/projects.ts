import { api, enc, hostUrl } from '../lib/api.ts';
import { $, age, announce, badge, busy, errorText, h, requireSession, showError } from '../lib/ui.ts';
import type { AliasInfo, DeploymentInfo, Page, ProjectInfo } from '../lib/types.ts';

await requireSession();
const list = $('#projects');
const more = $('#more') as HTMLButtonElement;
let cursor: string | null = null;
let rows: HTMLTableSectionElement | undefined;

/** One row per project, filled in as its latest deployment and production alias arrive. */
function projectRow(p: ProjectInfo): HTMLTableRowElement {
  const state = h('td', {}, h('span', { class: 'muted' }, '…'));
  const prod = h('td', {}, h('span', { class: 'muted' }, '…'));
  const updated = h('td', { class: 'hide-narrow' }, age(p.updatedAt));
  const row = h('tr', {}, h('th', { scope: 'row' }, h('a', { href: `/project/?name=${enc(p.name)}` }, p.name)), state, prod, updated);
  void Promise.all([
    api<Page<DeploymentInfo>>('GET', `/v1/deployments?projectId=${enc(p.id)}&limit=1`),
    api<Page<AliasInfo>>('GET', `/v1/projects/${enc(p.id)}/aliases?limit=100`),
  ]).then(
    async ([deployments, aliases]) => {
      const latest = deployments.items[0];
      state.replaceChildren(latest ? h('a', { href: `/deployment/?id=${enc(latest.id)}`, 'aria-label': `Latest deployment: ${latest.state}` }, badge(latest.state)) : h('span', { class: 'muted' }, 'No deployments yet'));
      const production = aliases.items.find((a) => a.kind === 'production' && a.deploymentId !== undefined);
      prod.replaceChildren(production ? h('a', { href: await hostUrl(production.host) }, production.host) : h('span', { class: 'muted' }, 'Not in production yet'));
    },
    (error) => state.replaceChildren(h('span', { class: 'muted' }, `Could not load: ${errorText(error)}`)),
  );
  return row;
}

async function load(): Promise<void> {
  try {
    const page = await api<Page<ProjectInfo>>('GET', `/v1/projects?limit=20${cursor ? `&cursor=${enc(cursor)}` : ''}`);
    if (!rows) {
      if (page.items.length === 0) {
        list.replaceChildren(
          h('p', { class: 'panel' }, 'No projects yet. ', h('a', { href: '/new/' }, 'Import a Git repository'), ' to deploy it on every push, or create an empty project below and deploy files to it.'),
        );
      } else {
        rows = h('tbody');
        const head = h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Project'), h('th', { scope: 'col' }, 'Latest'), h('th', { scope: 'col' }, 'Production URL'), h('th', { scope: 'col', class: 'hide-narrow' }, 'Updated')));
        list.replaceChildren(h('div', { class: 'table-wrap', role: 'region', 'aria-label': 'Projects table', tabindex: '0' }, h('table', {}, h('caption', { class: 'visually-hidden' }, 'Projects of your team'), head, rows)));
      }
    }
    rows?.append(...page.items.map(projectRow));
    cursor = page.next;
    more.hidden = !cursor;
  } catch (error) {
    showError(list, error);
  } finally {
    list.setAttribute('aria-busy', 'false');
  }
}

more.addEventListener('click', () => busy(more, load));
void load();

const form = $('#create') as HTMLFormElement;
const nameInput = $('#project-name') as HTMLInputElement;
const status = $('#create-status');
form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const name = nameInput.value.trim();
  if (!nameInput.checkValidity() || !name) {
    nameInput.setAttribute('aria-invalid', 'true');
    announce(status, 'Use 1–40 lowercase letters, digits and dashes, not starting or ending with a dash.', 'error');
    nameInput.focus();
    return;
  }
  nameInput.removeAttribute('aria-invalid');
  await busy($('#create-submit') as HTMLButtonElement, async () => {
    try {
      const project = await api<ProjectInfo>('POST', '/v1/projects', { name });
      location.assign(`/project/?name=${enc(project.name)}&created=1`);
    } catch (error) {
      nameInput.setAttribute('aria-invalid', 'true');
      announce(status, errorText(error), 'error');
    }
  });
});
