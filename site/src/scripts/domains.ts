import { api, enc } from '../lib/api.ts';
import { $, age, announce, busy, confirmAction, errorText, h, requireParam, requireSession, showError } from '../lib/ui.ts';
import { REDIRECT_CODE_LIST } from '../lib/domain-codes.ts';
import type { CreateDomainBody, DnsRecord, DomainInfo, DomainStatus, Page, ProjectInfo, UpdateDomainBody } from '../lib/types.ts';

await requireSession();
const region = $('#domains');
const listStatus = $('#domains-status');
const name = requireParam('project', region, 'a project');
let project: ProjectInfo | undefined;
/** While a domain is on its way (not active, not detached), the list is read again this often. */
const POLL_MS = 3000;
let poll: ReturnType<typeof setTimeout> | undefined;

const SETTLED: ReadonlySet<DomainStatus> = new Set(['active', 'detached']);
const BADGE: Record<DomainStatus, string> = {
  pending_verification: 'building',
  verified: 'building',
  certificate_pending: 'building',
  active: 'ready',
  misconfigured: 'error',
  certificate_failed: 'error',
  detached: 'canceled',
};

const domainPath = (d: DomainInfo): string => `/v1/projects/${enc(d.projectId)}/domains/${enc(d.name)}`;
const label = (status: DomainStatus): string => status.replaceAll('_', ' ');
const found = (r: DnsRecord): string => (r.found && r.found.length > 0 ? r.found.join(', ') : 'no such record');

/** What the domain serves, in words. */
function serves(d: DomainInfo): string {
  if (d.redirect) return `Redirects to ${d.redirect} (${d.redirectStatusCode ?? 308})`;
  if (d.gitBranch) return `Serves the newest ready deployment of branch ${d.gitBranch}`;
  return 'Serves production';
}

/** Where the domain is and what to do next; for misconfigured, each wrong record with what DNS answered. */
function explanation(d: DomainInfo): HTMLElement {
  switch (d.status) {
    case 'pending_verification':
      return h('p', { class: 'notice warn' }, 'Waiting for the TXT record that proves you control this domain: create the records below at your DNS host, then choose Verify now.');
    case 'verified':
      return h('p', { class: 'notice warn' }, 'Ownership proven. Waiting for the routing record below to answer.');
    case 'certificate_pending':
      return h('p', { class: 'notice warn' }, 'DNS is right; the certificate is being issued. This usually takes a few minutes.');
    case 'active':
      return h('p', { class: 'notice ok' }, `Live: https://${d.displayName}/ with a certificate that renews by itself.`);
    case 'misconfigured': {
      const wrong = d.records.filter((r) => r.ok === false);
      return h(
        'div',
        { class: 'notice error' },
        h('p', {}, 'DNS does not answer what it should. Fix these records at your DNS host, then choose Verify now:'),
        h('ul', {}, ...wrong.map((r) => h('li', {}, `${r.type} ${r.name}: DNS answered ${found(r)}; set it to ${r.value}.`))),
      );
    }
    case 'certificate_failed':
      return h('p', { class: 'notice error' }, `The certificate could not be issued: ${d.certificate?.reason ?? 'no reason given'}. Check the routing record, then choose Verify now.`);
    case 'detached':
      return h('p', { class: 'notice error' }, `${d.notice ?? 'Detached: this domain no longer serves the project'}. To serve it here again, publish its records and choose Verify now, or remove it.`);
  }
}

/** A button that copies `text` and says so (or, without clipboard access, selects it to copy by hand). */
function copyButton(text: string, what: string, target: HTMLElement): HTMLButtonElement {
  const button = h('button', { type: 'button', class: 'copy', 'aria-label': `Copy ${what}` }, 'Copy');
  button.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(text);
      announce(listStatus, `Copied ${what}.`);
    } catch {
      getSelection()?.selectAllChildren(target);
      announce(listStatus, `Copying is not allowed here: ${what} is selected, press Ctrl+C (⌘C) to copy it.`, 'error');
    }
  });
  return button;
}

function recordsTable(d: DomainInfo): HTMLElement {
  const rows = d.records.map((r) => {
    const nameCode = h('code', {}, r.name);
    const valueCode = h('code', {}, r.value);
    const what = `${r.type} record ${r.name}`;
    const check = r.ok === undefined ? h('span', { class: 'muted' }, 'not checked yet') : r.ok ? h('span', { class: 'ok-text' }, '✓ found') : h('span', { class: 'err-text' }, `✗ DNS answered: ${found(r)}`);
    return h(
      'tr',
      { 'data-record': `${r.type} ${r.name}` },
      h('th', { scope: 'row' }, r.type, h('span', { class: 'muted small' }, r.purpose === 'ownership' ? ' ownership' : ' routing')),
      h('td', { 'data-label': 'Name' }, h('div', { class: 'copyable' }, nameCode, copyButton(r.name, `the name of the ${what}`, nameCode))),
      h('td', { 'data-label': 'Value' }, h('div', { class: 'copyable' }, valueCode, copyButton(r.value, `the value of the ${what}`, valueCode))),
      h('td', { 'data-label': 'DNS now' }, check),
    );
  });
  const head = h('thead', {}, h('tr', {}, ...['Type', 'Name', 'Value', 'DNS now'].map((c) => h('th', { scope: 'col' }, c))));
  return h('div', { class: 'table-wrap records', role: 'region', 'aria-label': `DNS records of ${d.displayName}`, tabindex: '0' }, h('table', {}, h('caption', { class: 'visually-hidden' }, `DNS records to create for ${d.displayName}`), head, h('tbody', {}, ...rows)));
}

function card(d: DomainInfo): HTMLElement {
  const verify = h('button', { type: 'button', 'aria-label': `Verify now: ${d.displayName}` }, 'Verify now');
  const edit = h('button', { type: 'button', 'aria-label': `Edit ${d.displayName}` }, 'Edit');
  const remove = h('button', { type: 'button', class: 'danger', 'aria-label': `Remove ${d.displayName}` }, 'Remove');
  const headingId = `domain-${d.id}`;
  const article = h(
    'article',
    { class: 'panel domain', 'data-domain': d.name, 'aria-labelledby': headingId },
    h('div', { class: 'title-row' }, h('h3', { id: headingId }, d.displayName), h('span', { class: `badge badge-${BADGE[d.status]}`, 'data-status': d.status }, label(d.status))),
    d.displayName !== d.name ? h('p', { class: 'muted' }, 'In DNS: ', h('code', {}, d.name)) : null,
    h('p', { class: 'serves' }, serves(d), d.checkedAt ? h('span', { class: 'muted' }, ' · checked ', age(d.checkedAt)) : null),
    explanation(d),
    d.status === 'active' && d.records.every((r) => r.ok) ? null : h('h4', {}, 'DNS records to create'),
    recordsTable(d),
    h('div', { class: 'row actions' }, verify, edit, remove),
  );
  verify.addEventListener('click', () =>
    busy(verify, async () => {
      try {
        const checked = await api<DomainInfo>('POST', `${domainPath(d)}/verify`);
        await load();
        announce(listStatus, `Checked ${checked.displayName}: ${label(checked.status)}.`);
      } catch (error) {
        announce(listStatus, errorText(error), 'error');
      }
    }),
  );
  edit.addEventListener('click', () => openEditor(article, d, edit));
  remove.addEventListener('click', async () => {
    if (!(await confirmAction(`Remove ${d.displayName}?`, `${d.displayName} stops being served at once. Its DNS records stay at your DNS host until you delete them there.`, 'Remove domain'))) return;
    await busy(remove, async () => {
      try {
        await api('DELETE', domainPath(d));
        await load();
        announce(listStatus, `Removed ${d.displayName}.`);
      } catch (error) {
        announce(listStatus, errorText(error), 'error');
      }
    });
  });
  return article;
}

/** Replaces the actions with a form: serve production, a branch, or redirect to another domain. */
function openEditor(article: HTMLElement, d: DomainInfo, trigger: HTMLButtonElement): void {
  const actions = article.querySelector<HTMLElement>('.actions')!;
  const branch = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false' });
  branch.value = d.gitBranch ?? '';
  const redirect = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false' });
  redirect.value = d.redirect ?? '';
  const code = h('select', {}, ...REDIRECT_CODE_LIST.map((c) => h('option', { value: String(c), selected: (d.redirectStatusCode ?? 308) === c }, String(c))));
  const save = h('button', { type: 'submit', class: 'primary' }, 'Save');
  const cancel = h('button', { type: 'button' }, 'Cancel');
  const form = h(
    'form',
    { class: 'stack', 'aria-label': `Edit ${d.displayName}`, 'data-editing': '' },
    h('label', {}, 'Git branch ', h('span', { class: 'hint' }, 'Empty: serve production.'), branch),
    h('label', {}, 'Redirect to ', h('span', { class: 'hint' }, 'Empty: serve the project.'), redirect),
    h('label', {}, 'Redirect status code', code),
    h('div', { class: 'row' }, save, cancel),
  );
  actions.replaceWith(form);
  branch.focus();
  const close = () => {
    form.replaceWith(actions);
    trigger.focus();
  };
  cancel.addEventListener('click', close);
  form.addEventListener('keydown', (e) => e.key === 'Escape' && close());
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const patch: UpdateDomainBody = {
      gitBranch: branch.value.trim() || null,
      redirect: redirect.value.trim() || null,
      ...(redirect.value.trim() ? { redirectStatusCode: Number(code.value) as NonNullable<UpdateDomainBody['redirectStatusCode']> } : {}),
    };
    await busy(save, async () => {
      try {
        const saved = await api<DomainInfo>('PATCH', domainPath(d), patch);
        form.replaceWith(actions);
        await load();
        announce(listStatus, `Saved ${saved.displayName}: ${serves(saved).toLowerCase()}.`);
      } catch (error) {
        announce(listStatus, errorText(error), 'error');
      }
    });
  });
}

async function load(): Promise<void> {
  if (!name) return;
  clearTimeout(poll);
  try {
    project ??= await api<ProjectInfo>('GET', `/v1/projects/${enc(name)}`);
    document.title = `Domains · ${project.name} · Runway`;
    $('#title').textContent = `Domains of ${project.name}`;
    $('#back').replaceChildren(h('a', { href: `/project/?name=${enc(project.name)}` }, `← ${project.name}`));
    const domains = await api<Page<DomainInfo>>('GET', `/v1/projects/${enc(project.id)}/domains`);
    // An open editor is never replaced under the person typing in it; the next poll catches up.
    if (!region.querySelector('[data-editing]')) {
      region.replaceChildren(
        domains.items.length === 0
          ? h('p', { class: 'panel' }, 'No domains yet. Add one below; Runway then shows the DNS records to create.')
          : h('div', { class: 'stack-list' }, ...[...domains.items].sort((a, b) => a.displayName.localeCompare(b.displayName)).map(card)),
      );
    }
    if (domains.items.some((d) => !SETTLED.has(d.status))) poll = setTimeout(() => void load(), POLL_MS);
  } catch (error) {
    showError(region, error);
  }
}

const form = $('#add') as HTMLFormElement;
const nameInput = $('#domain-name') as HTMLInputElement;
const addStatus = $('#add-status');

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  if (!project) return;
  const data = new FormData(form);
  const domain = String(data.get('name') ?? '').trim();
  if (!domain) {
    nameInput.setAttribute('aria-invalid', 'true');
    nameInput.focus();
    return announce(addStatus, 'Enter a domain, for example www.example.com.', 'error');
  }
  nameInput.removeAttribute('aria-invalid');
  const gitBranch = String(data.get('gitBranch') ?? '').trim();
  const redirect = String(data.get('redirect') ?? '').trim();
  const body: CreateDomainBody = {
    name: domain,
    ...(gitBranch ? { gitBranch } : {}),
    ...(redirect ? { redirect, redirectStatusCode: Number(data.get('redirectStatusCode')) as NonNullable<CreateDomainBody['redirectStatusCode']> } : {}),
  };
  await busy($('#add-submit') as HTMLButtonElement, async () => {
    try {
      const added = await api<DomainInfo>('POST', `/v1/projects/${enc(project!.id)}/domains`, body);
      announce(addStatus, `Added ${added.displayName}: create the DNS records shown above, then choose Verify now.`);
      form.reset();
      await load();
    } catch (error) {
      nameInput.setAttribute('aria-invalid', 'true');
      announce(addStatus, errorText(error), 'error');
    }
  });
});

void load();
