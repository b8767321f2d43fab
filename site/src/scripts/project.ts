import { api, enc, hostUrl } from '../lib/api.ts';
import { $, age, filesLabel, announce, badge, busy, duration, errorText, h, requireParam, requireSession, showError } from '../lib/ui.ts';
import type { AliasInfo, DeploymentInfo, Page, ProjectInfo, UpdateProjectBody } from '../lib/types.ts';
import { deployPicked, formatBytes, fromDrop, fromInput, problemWith, type DeployProgress, type Picked } from '../lib/upload.ts';

await requireSession();
const summary = $('#summary');
const deployments = $('#deployments');
const more = $('#more') as HTMLButtonElement;
const name = requireParam('name', summary, 'a project');
let project: ProjectInfo | undefined;
let cursor: string | null = null;
let rows: HTMLTableSectionElement | undefined;

if (new URLSearchParams(location.search).get('created')) {
  announce($('#page-status'), 'Project created. Deploy a folder with "Deploy files" below (or through the API upload path); its deployments appear below.');
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
        deployments.replaceChildren(
          h(
            'p',
            { class: 'panel' },
            'No deployments yet. ',
            project.gitRepository ? `Push to ${project.gitRepository.repo}, or deploy` : 'Deploy',
            ' a folder with "Deploy files" above, or through the API (POST /v1/files, then POST /v1/deployments) — see the README.',
          ),
        );
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
  const production = aliases.items.find((a) => a.kind === 'production' && a.deploymentId !== undefined);
  summary.replaceChildren(
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Production URL'),
      h('dd', {}, production ? h('a', { href: await hostUrl(production.host) }, production.host) : h('span', { class: 'muted' }, 'None yet: a READY production deployment publishes it')),
      h('dt', {}, 'Git repository'),
      h('dd', {}, p.gitRepository ? h('code', {}, p.gitRepository.repo) : h('span', { class: 'muted' }, 'None: deploys come from uploaded files')),
      h('dt', {}, 'Production branch'),
      h('dd', {}, h('code', {}, p.productionBranch)),
      h('dt', {}, 'Environment variables'),
      h('dd', {}, h('a', { href: `/env/?project=${enc(p.name)}` }, 'Manage environment variables')),
      h('dt', {}, 'Domains'),
      h('dd', {}, h('a', { href: `/domains/?project=${enc(p.name)}` }, 'Manage domains')),
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

// --- Deploy files: a folder picked or dropped, through the upload protocol -----------------------
const upload = $('#upload') as HTMLFormElement;
const folder = $('#folder') as HTMLInputElement;
const drop = $('#drop');
const pickedText = $('#picked');
const uploadSubmit = $('#upload-submit') as HTMLButtonElement;
const progress = $('#upload-progress') as HTMLProgressElement;
const count = $('#upload-count');
const uploadStatus = $('#upload-status');
let picked: Picked | undefined;

function choose(next: Picked): void {
  const problem = problemWith(next);
  picked = problem ? undefined : next;
  uploadSubmit.disabled = !picked;
  progress.hidden = true;
  count.textContent = '';
  if (problem) {
    pickedText.textContent = 'No folder chosen yet.';
    announce(uploadStatus, problem, 'error');
    return;
  }
  const bytes = next.files.reduce((sum, f) => sum + f.file.size, 0);
  const left = next.ignored > 0 ? ` (${next.ignored} left out)` : '';
  pickedText.textContent = `${next.files.length} file${next.files.length === 1 ? '' : 's'}, ${formatBytes(bytes)}${left}: ${next.files.slice(0, 3).map((f) => f.path).join(', ')}${next.files.length > 3 ? ', …' : ''}`;
  announce(uploadStatus, '');
}

folder.addEventListener('change', () => {
  if (folder.files) choose(fromInput(folder.files));
});
drop.addEventListener('dragover', (event) => {
  event.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', async (event) => {
  event.preventDefault();
  drop.classList.remove('over');
  if (!event.dataTransfer) return;
  try {
    choose(await fromDrop(event.dataTransfer));
  } catch (error) {
    announce(uploadStatus, `Could not read the dropped files: ${errorText(error)}. Choose the folder with the picker instead.`, 'error');
  }
});

function showProgress(p: DeployProgress): void {
  if (p.phase === 'creating') {
    count.textContent = 'Creating the deployment…';
    return;
  }
  progress.hidden = false;
  progress.max = Math.max(1, p.total);
  progress.value = p.done;
  count.textContent = p.phase === 'hashing' ? `Hashing ${p.done} of ${p.total} files` : `${p.done} of ${p.total} uploaded`;
}

upload.addEventListener('submit', async (event) => {
  event.preventDefault();
  if (!project || !picked) return;
  const files = picked;
  const target = new FormData(upload).get('target') === 'production' ? 'production' : 'preview';
  await busy(uploadSubmit, async () => {
    folder.disabled = true;
    announce(uploadStatus, `Deploying ${files.files.length} files to ${target}…`);
    try {
      const created = await deployPicked(project!.name, target, files, showProgress);
      announce(uploadStatus, h('span', {}, 'Deployment queued: ', h('a', { href: `/deployment/?id=${enc(created.id)}` }, `open ${created.shortId}`), '.'));
      location.assign(`/deployment/?id=${enc(created.id)}`);
    } catch (error) {
      announce(uploadStatus, `${errorText(error)} Nothing was deployed; deploy again to retry (files already uploaded are not sent twice).`, 'error');
    } finally {
      folder.disabled = false;
    }
  });
});
