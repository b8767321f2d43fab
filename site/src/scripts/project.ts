import { api, enc, hostUrl } from '../lib/api.ts';
import { $, age, filesLabel, announce, badge, busy, duration, errorText, h, requireParam, requireSession, showError } from '../lib/ui.ts';
import type { AliasInfo, DeploymentInfo, Page, ProjectInfo, UpdateProjectBody } from '../lib/types.ts';

await requireSession();
const summary = $('#summary');
const deployments = $('#deployments');
const more = $('#more') as HTMLButtonElement;
const name = requireParam('name', summary, 'a project');
let project: ProjectInfo | undefined;
let cursor: string | null = null;
let rows: HTMLTableSectionElement | undefined;

if (new URLSearchParams(location.search).get('created')) {
  announce($('#page-status'), 'Project created. Deploy to it through the API upload path; its deployments appear below.');
}

function deploymentRow(d: DeploymentInfo): HTMLTableRowElement {
  const commit = d.commitSha ? h('span', {}, h('code', {}, d.commitSha.slice(0, 7)), d.commitMessage ? ` ${d.commitMessage.split('\n')[0]}` : '') : h('span', { class: 'muted' }, d.source.type === 'files' ? filesLabel(d.source.fileCount) : '—');
  return h(
    'tr',
    {},
    h('th', { scope: 'row' }, h('a', { href: `/deployment/?id=${enc(d.id)}`, 'aria-label': `Deployment ${d.shortId}, ${d.state}` }, badge(d.state)), ' ', h('code', { class: 'hide-narrow' }, d.shortId)),
    h('td', {}, d.target),
    h('td', { class: 'hide-narrow' }, d.branch ?? h('span', { class: 'muted' }, '—')),
    h('td', { class: 'hide-narrow' }, commit),
    h('td', {}, age(d.createdAt)),
    h('td', {}, duration(d)),
  );
}

async function loadDeployments(): Promise<void> {
  if (!project) return;
  try {
    const page = await api<Page<DeploymentInfo>>('GET', `/v1/deployments?projectId=${enc(project.id)}&limit=10${cursor ? `&cursor=${enc(cursor)}` : ''}`);
    if (!rows) {
      if (page.items.length === 0) {
        deployments.replaceChildren(h('p', { class: 'panel' }, 'No deployments yet. Upload files with POST /v1/files, then POST /v1/deployments {"project": "', project.name, '"} — see the README.'));
      } else {
        rows = h('tbody');
        const cols = ['State', 'Target', 'Branch', 'Commit', 'Created', 'Duration'];
        const narrowHidden = new Set(['Branch', 'Commit']);
        const head = h('thead', {}, h('tr', {}, ...cols.map((c) => h('th', { scope: 'col', class: narrowHidden.has(c) ? 'hide-narrow' : undefined }, c))));
        deployments.replaceChildren(h('div', { class: 'table-wrap', role: 'region', 'aria-label': 'Deployments table', tabindex: '0' }, h('table', {}, h('caption', { class: 'visually-hidden' }, 'Deployments, newest first'), head, rows)));
      }
    }
    rows?.append(...page.items.map(deploymentRow));
    cursor = page.next;
    more.hidden = !cursor;
  } catch (error) {
    showError(deployments, error);
  }
}

async function renderSummary(p: ProjectInfo): Promise<void> {
  const aliases = await api<Page<AliasInfo>>('GET', `/v1/projects/${enc(p.id)}/aliases?limit=100`);
  const production = aliases.items.find((a) => a.kind === 'production');
  summary.replaceChildren(
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Production URL'),
      h('dd', {}, production ? h('a', { href: await hostUrl(production.host) }, production.host) : h('span', { class: 'muted' }, 'None yet: a READY production deployment publishes it')),
      h('dt', {}, 'Production branch'),
      h('dd', {}, h('code', {}, p.productionBranch)),
      h('dt', {}, 'Environment variables'),
      h('dd', {}, h('a', { href: `/env/?project=${enc(p.name)}` }, 'Manage environment variables')),
      h('dt', {}, 'Project id'),
      h('dd', {}, h('code', {}, p.id)),
    ),
  );
  summary.setAttribute('aria-busy', 'false');
}

function fillSettings(p: ProjectInfo): void {
  const form = $('#settings') as HTMLFormElement;
  for (const field of ['framework', 'rootDirectory', 'installCommand', 'buildCommand', 'outputDirectory', 'productionBranch'] as const) {
    const input = form.elements.namedItem(field) as HTMLInputElement | HTMLSelectElement;
    input.value = p[field] ?? '';
  }
}

async function load(): Promise<void> {
  if (!name) return;
  try {
    project = await api<ProjectInfo>('GET', `/v1/projects/${enc(name)}`);
    document.title = `${project.name} · Runway`;
    $('#title').textContent = project.name;
    fillSettings(project);
    await Promise.all([renderSummary(project), loadDeployments()]);
  } catch (error) {
    showError(summary, error);
    deployments.replaceChildren();
  }
}

more.addEventListener('click', () => busy(more, loadDeployments));

const settings = $('#settings') as HTMLFormElement;
settings.addEventListener('submit', async (event) => {
  event.preventDefault();
  if (!project) return;
  const status = $('#settings-status');
  const data = new FormData(settings);
  const text = (key: string) => String(data.get(key) ?? '').trim();
  // An emptied field clears the override (null), so the build detects it again.
  const orNull = (key: string) => text(key) || null;
  const patch: UpdateProjectBody = {
    framework: (text('framework') || null) as UpdateProjectBody['framework'],
    rootDirectory: orNull('rootDirectory'),
    installCommand: orNull('installCommand'),
    buildCommand: orNull('buildCommand'),
    outputDirectory: orNull('outputDirectory'),
    version: project.version,
  };
  if (text('productionBranch')) patch.productionBranch = text('productionBranch');
  await busy($('#settings-submit') as HTMLButtonElement, async () => {
    try {
      project = await api<ProjectInfo>('PATCH', `/v1/projects/${enc(project!.id)}`, patch);
      fillSettings(project);
      announce(status, 'Settings saved. They apply to the next deployment.');
    } catch (error) {
      const stale = errorText(error);
      announce(status, /version|changed/i.test(stale) ? `${stale} Reload the page to see the latest settings.` : stale, 'error');
    }
  });
});

const confirmInput = $('#delete-confirm') as HTMLInputElement;
const deleteButton = $('#delete-submit') as HTMLButtonElement;
confirmInput.addEventListener('input', () => {
  deleteButton.disabled = !project || confirmInput.value !== project.name;
});
($('#delete') as HTMLFormElement).addEventListener('submit', async (event) => {
  event.preventDefault();
  if (!project || confirmInput.value !== project.name) return;
  const status = $('#delete-status');
  await busy(deleteButton, async () => {
    try {
      await api('DELETE', `/v1/projects/${enc(project!.id)}`);
      location.assign('/');
    } catch (error) {
      announce(status, errorText(error), 'error');
    }
  });
  deleteButton.disabled = confirmInput.value !== project.name;
});

void load();
