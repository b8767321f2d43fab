import { api, enc } from '../lib/api.ts';
import { $, announce, busy, confirmAction, errorText, h, requireParam, requireSession, showError } from '../lib/ui.ts';
import type { CreateEnvBody, EnvScope, EnvTarget, EnvVarInfo, Page, ProjectInfo, UpdateEnvBody } from '../lib/types.ts';

await requireSession();
const region = $('#vars');
const varsStatus = $('#vars-status');
const name = requireParam('project', region, 'a project');
let project: ProjectInfo | undefined;

function valueCell(v: EnvVarInfo): HTMLElement {
  if (v.masked) return h('span', { class: 'muted', 'aria-label': v.sensitive ? 'Sensitive value, hidden' : 'Value hidden' }, '••••••••', v.sensitive ? ' sensitive' : '');
  return h('code', {}, v.value ?? '');
}

/** Where the var is available: both scopes (the default), or builds / functions only. */
function scopesText(v: EnvVarInfo): string {
  return v.scopes.length === 2 ? 'builds, functions' : `${v.scopes[0]} only`;
}

function row(v: EnvVarInfo): HTMLTableRowElement {
  const edit = h('button', { type: 'button', 'aria-label': `Edit ${v.key} (${v.target})` }, 'Edit');
  const remove = h('button', { type: 'button', 'aria-label': `Remove ${v.key} (${v.target})` }, 'Remove');
  const tr = h('tr', { 'data-env': v.id }, h('th', { scope: 'row' }, h('code', {}, v.key)), h('td', {}, v.target), h('td', {}, scopesText(v)), h('td', { class: 'value' }, valueCell(v)), h('td', {}, h('div', { class: 'row' }, edit, remove)));
  edit.addEventListener('click', () => openEditor(tr, v, edit));
  remove.addEventListener('click', async () => {
    if (!(await confirmAction(`Remove ${v.key}?`, `Builds for ${v.target} will no longer see ${v.key}.`, 'Remove'))) return;
    await busy(remove, async () => {
      try {
        await api('DELETE', `/v1/projects/${enc(v.projectId)}/env/${enc(v.id)}`);
        announce(varsStatus, `Removed ${v.key} from ${v.target}.`);
        await load();
      } catch (error) {
        announce(varsStatus, errorText(error), 'error');
      }
    });
  });
  return tr;
}

/** Replaces the value cell with a small form: a new value (never the old one, if sensitive). */
function openEditor(tr: HTMLTableRowElement, v: EnvVarInfo, trigger: HTMLButtonElement): void {
  const cell = tr.querySelector<HTMLElement>('td.value')!;
  const input = h('input', { type: v.sensitive ? 'password' : 'text', autocomplete: 'off', 'aria-label': `New value of ${v.key} (${v.target})`, placeholder: v.sensitive ? 'New value (write-only)' : undefined });
  if (!v.sensitive) input.value = v.value ?? '';
  const makeSensitive = h('input', { type: 'checkbox' });
  const save = h('button', { type: 'submit', class: 'primary' }, 'Save');
  const cancel = h('button', { type: 'button' }, 'Cancel');
  const form = h('form', { class: 'stack', 'aria-label': `Edit ${v.key}` }, input, v.sensitive ? null : h('label', { class: 'check' }, makeSensitive, 'Make sensitive'), h('div', { class: 'row' }, save, cancel));
  cell.replaceChildren(form);
  input.focus();
  const close = () => {
    cell.replaceChildren(valueCell(v));
    trigger.focus();
  };
  cancel.addEventListener('click', close);
  form.addEventListener('keydown', (e) => e.key === 'Escape' && close());
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const patch: UpdateEnvBody = {};
    if (!v.sensitive || input.value) patch.value = input.value;
    if (makeSensitive.checked) patch.sensitive = true;
    if (patch.value === undefined && !patch.sensitive) return close();
    await busy(save, async () => {
      try {
        await api<EnvVarInfo>('PATCH', `/v1/projects/${enc(v.projectId)}/env/${enc(v.id)}`, patch);
        announce(varsStatus, `Saved ${v.key} for ${v.target}.`);
        await load();
      } catch (error) {
        announce(varsStatus, errorText(error), 'error');
      }
    });
  });
}

async function load(): Promise<void> {
  if (!name) return;
  try {
    project ??= await api<ProjectInfo>('GET', `/v1/projects/${enc(name)}`);
    document.title = `Environment · ${project.name} · Runway`;
    $('#title').textContent = `Environment variables of ${project.name}`;
    $('#back').replaceChildren(h('a', { href: `/project/?name=${enc(project.name)}` }, `← ${project.name}`));
    const vars = await api<Page<EnvVarInfo>>('GET', `/v1/projects/${enc(project.id)}/env`);
    if (vars.items.length === 0) {
      region.replaceChildren(h('p', { class: 'panel' }, 'No variables yet. Add one below; it applies to the next deployment.'));
      return;
    }
    const sorted = [...vars.items].sort((a, b) => a.key.localeCompare(b.key) || a.target.localeCompare(b.target));
    const head = h('thead', {}, h('tr', {}, ...['Key', 'Target', 'Available to', 'Value', 'Actions'].map((c) => h('th', { scope: 'col' }, c))));
    region.replaceChildren(h('div', { class: 'table-wrap', role: 'region', 'aria-label': 'Environment variables table', tabindex: '0' }, h('table', {}, h('caption', { class: 'visually-hidden' }, 'Environment variables'), head, h('tbody', {}, ...sorted.map(row)))));
  } catch (error) {
    showError(region, error);
  }
}

const form = $('#add') as HTMLFormElement;
const keyInput = $('#env-key') as HTMLInputElement;
const valueInput = $('#env-value') as HTMLInputElement;
const sensitive = $('#env-sensitive') as HTMLInputElement;
const addStatus = $('#add-status');
// A sensitive value is typed like a password: not shown on screen while it is entered.
sensitive.addEventListener('change', () => (valueInput.type = sensitive.checked ? 'password' : 'text'));

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  if (!project) return;
  const data = new FormData(form);
  const target = data.getAll('target').map(String) as EnvTarget[];
  if (!keyInput.checkValidity() || !keyInput.value) {
    keyInput.setAttribute('aria-invalid', 'true');
    keyInput.focus();
    return announce(addStatus, 'Enter a key: letters, digits and _, not starting with a digit.', 'error');
  }
  keyInput.removeAttribute('aria-invalid');
  if (target.length === 0) return announce(addStatus, 'Choose at least one target.', 'error');
  const scopes = data.getAll('scope').map(String) as EnvScope[];
  if (scopes.length === 0) return announce(addStatus, 'Choose builds, functions or both.', 'error');
  const body: CreateEnvBody = { key: keyInput.value, value: valueInput.value, target, sensitive: sensitive.checked, scopes };
  await busy($('#add-submit') as HTMLButtonElement, async () => {
    try {
      await api<Page<EnvVarInfo>>('POST', `/v1/projects/${enc(project!.id)}/env`, body);
      announce(addStatus, `Added ${body.key} for ${target.join(', ')}.`);
      form.reset();
      valueInput.type = 'text';
      await load();
    } catch (error) {
      announce(addStatus, errorText(error), 'error');
    }
  });
});

void load();
