import { api, enc, hostUrl } from '../lib/api.ts';
import { $, age, filesLabel, announce, badge, busy, confirmAction, duration, errorText, h, isFinal, requireParam, requireSession, showError } from '../lib/ui.ts';
import { LOG_LEVELS, LogTail, type LogLevel, type TailState } from '../lib/function-logs.ts';
import { formatBytes } from '../lib/upload.ts';
import type { AliasChange, AliasInfo, DeploymentFunction, DeploymentInfo, EventsPage, FunctionLogLine, FunctionLogsPage, Page } from '../lib/types.ts';

await requireSession();
const summary = $('#summary');
const log = $('#log');
const logState = $('#log-state');
const status = $('#action-status');
const buttons = {
  promote: $('#promote') as HTMLButtonElement,
  rollback: $('#rollback') as HTMLButtonElement,
  cancel: $('#cancel') as HTMLButtonElement,
  redeploy: $('#redeploy') as HTMLButtonElement,
};
const id = requireParam('id', summary, 'a deployment');
let deployment: DeploymentInfo | undefined;
let live = false;

async function refresh(): Promise<void> {
  if (!id) return;
  const d = await api<DeploymentInfo>('GET', `/v1/deployments/${enc(id)}`);
  const aliases = await api<Page<AliasInfo>>('GET', `/v1/projects/${enc(d.projectId)}/aliases?limit=100`);
  const production = aliases.items.find((a) => a.kind === 'production');
  deployment = d;
  live = production?.deploymentId === d.id;
  await render(d, production);
}

async function render(d: DeploymentInfo, production: AliasInfo | undefined): Promise<void> {
  document.title = `${d.projectName} ${d.shortId} · Runway`;
  $('#title').textContent = `${d.projectName} · ${d.shortId}`;
  $('#back').replaceChildren(h('a', { href: `/project/?name=${enc(d.projectName)}` }, `← ${d.projectName}`));
  $('#state').replaceChildren(badge(d.state));
  const url = await hostUrl(d.url);
  const facts: Array<[string, Node | string]> = [
    ['URL', d.state === 'READY' ? h('a', { href: url, id: 'deployment-url' }, url) : h('span', { class: 'muted' }, `${url} (served once READY)`)],
    ['Target', live ? `${d.target} — live on ${production?.host ?? 'production'}` : d.target],
    ['Branch', d.branch ?? '—'],
    ['Commit', d.commitSha ? `${d.commitSha.slice(0, 7)} ${d.commitMessage ?? ''}` : d.source.type === 'files' ? filesLabel(d.source.fileCount) : '—'],
    ['Created', age(d.createdAt)],
    ['Duration', duration(d)],
    ['Id', h('code', {}, d.id)],
  ];
  if (d.errorMessage) facts.push(['Error', h('span', { class: 'notice error' }, `${d.errorStep ? `${d.errorStep}: ` : ''}${d.errorMessage}`)]);
  // READY, but a host it should have been published on was refused: never shown as plain READY.
  if (d.aliasError) {
    facts.push(['Host refused', h('span', { class: 'notice error', id: 'alias-error' }, h('code', {}, d.aliasError.host), ` does not serve this deployment: ${d.aliasError.message} (${d.aliasError.code})`)]);
  }
  summary.replaceChildren(h('dl', { class: 'facts' }, ...facts.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])));
  summary.setAttribute('aria-busy', 'false');

  buttons.promote.hidden = !(d.state === 'READY' && !live);
  buttons.rollback.hidden = !live;
  buttons.cancel.hidden = isFinal(d.state);
  buttons.redeploy.hidden = !isFinal(d.state);
  $('#no-actions').hidden = Object.values(buttons).some((b) => !b.hidden);
  $('#no-actions').textContent = 'No actions for this deployment now.';
  renderFunctions(d);
}

/** The deployment's functions (set when it is READY), and their logs' live tail once there are any. */
function renderFunctions(d: DeploymentInfo): void {
  const section = $('#functions-section');
  section.hidden = d.state !== 'READY';
  if (section.hidden) return;
  const fns = d.functions;
  if (fns.length === 0) {
    $('#functions').replaceChildren(h('p', { class: 'muted' }, 'No functions: this deployment serves its files only.'));
    return;
  }
  const cell = (text: string) => h('td', {}, text);
  $('#functions').replaceChildren(
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { id: 'functions-table' },
        h('thead', {}, h('tr', {}, ...['Function', 'Paths', 'Runtime', 'Memory', 'Max duration', 'Size'].map((t) => h('th', { scope: 'col' }, t)))),
        h(
          'tbody',
          {},
          ...fns.map((f) =>
            h(
              'tr',
              { 'data-function': f.name },
              h('th', { scope: 'row' }, h('code', {}, f.name)),
              h('td', {}, ...f.paths.flatMap((p, i) => [i > 0 ? h('br') : null, h('code', {}, p)])),
              cell(f.runtime),
              cell(`${f.memory} MB`),
              cell(`${f.maxDuration} s`),
              cell(formatBytes(f.size)),
            ),
          ),
        ),
      ),
    ),
  );
  startLogs(d, fns);
}

const fnLog = $('#fn-log');
const fnLogState = $('#fn-log-state');
const fnSelect = $('#fn-log-function') as HTMLSelectElement;
const levelSelect = $('#fn-log-level') as HTMLSelectElement;
const toggle = $('#fn-log-toggle') as HTMLButtonElement;
/** Lines kept on the page; older ones are dropped from the top. */
const MAX_LOG_LINES = 2000;
let tail: LogTail | undefined;

function startLogs(d: DeploymentInfo, fns: DeploymentFunction[]): void {
  if (tail) return;
  $('#fn-logs-section').hidden = false;
  fnSelect.replaceChildren(h('option', { value: '' }, 'All functions'), ...fns.map((f) => h('option', { value: f.name }, f.name)));
  let shown = '';
  tail = new LogTail({
    deploymentId: d.id,
    get: (path) => api<FunctionLogsPage>('GET', path),
    visible: () => document.visibilityState === 'visible',
    onLines: appendLogLines,
    onBusy: (busy) => fnLog.setAttribute('aria-busy', String(busy)),
    onState: (state) => {
      const text = stateText(state);
      // Only changes are written, so the heading does not flicker every poll.
      if (text !== shown) fnLogState.textContent = shown = text;
    },
  });
  const applyFilter = () => {
    const level = levelSelect.value;
    tail?.setFilter({
      function: fnSelect.value || undefined,
      level: (LOG_LEVELS as readonly string[]).includes(level) ? (level as LogLevel) : undefined,
    });
  };
  fnSelect.addEventListener('change', applyFilter);
  levelSelect.addEventListener('change', applyFilter);
  toggle.addEventListener('click', () => {
    if (!tail) return;
    if (tail.running) tail.pause();
    else tail.resume();
    toggle.textContent = tail.running ? 'Pause live tail' : 'Resume live tail';
  });
  document.addEventListener('visibilitychange', () => tail?.visibilityChanged());
  tail.resume();
}

function stateText(state: TailState): string {
  switch (state.kind) {
    case 'live':
      return '(live)';
    case 'paused':
      return '(paused)';
    case 'hidden':
      return '(paused while this tab is hidden)';
    case 'error':
      return `(could not read the logs: ${state.message} — retrying)`;
  }
}

function appendLogLines(lines: FunctionLogLine[], reset: boolean): void {
  if (reset) fnLog.replaceChildren();
  fnLog.querySelector('.empty')?.remove();
  const atBottom = fnLog.scrollHeight - fnLog.scrollTop - fnLog.clientHeight < 40;
  fnLog.append(
    ...lines.map((l) =>
      h(
        'p',
        { class: `line lvl-${l.level}` },
        h('time', { datetime: l.time, title: l.time }, l.time.slice(11, 23) || l.time),
        ' ',
        h('span', { class: 'fn' }, l.function),
        ' ',
        h('span', { class: 'lvl' }, l.level.toUpperCase()),
        ' ',
        h('span', { class: 'msg' }, l.message),
      ),
    ),
  );
  while (fnLog.childElementCount > MAX_LOG_LINES) fnLog.firstElementChild?.remove();
  if (fnLog.childElementCount === 0) fnLog.append(h('p', { class: 'empty' }, 'No log lines match yet. Lines a function writes appear here within seconds.'));
  if (atBottom || reset) fnLog.scrollTop = fnLog.scrollHeight;
}

/** Follows the build log by cursor until the build has ended and every line was read. */
async function followLog(): Promise<void> {
  if (!id) return;
  let cursor = '';
  logState.textContent = '(following…)';
  for (;;) {
    let page: EventsPage;
    try {
      page = await api<EventsPage>('GET', `/v1/deployments/${enc(id)}/events${cursor ? `?cursor=${enc(cursor)}` : ''}`);
    } catch (error) {
      logState.textContent = `(stopped: ${errorText(error)} — reload to resume)`;
      return;
    }
    if (page.items.length > 0) {
      const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
      log.append(page.items.map((e) => `${e.text.startsWith(e.timestamp.slice(0, 10)) ? '' : `${e.timestamp} `}${e.text}\n`).join(''));
      if (atBottom) log.scrollTop = log.scrollHeight;
    }
    if (deployment && page.state !== deployment.state) await refresh().catch(() => undefined);
    if (page.done) {
      logState.textContent = `(${page.state.toLowerCase()}, complete)`;
      if (!log.textContent) log.textContent = 'This build wrote no log lines.';
      await refresh().catch(() => undefined);
      return;
    }
    cursor = page.next;
    // Wait only when nothing new arrived, so a fast build's backlog streams in at once.
    await new Promise((r) => setTimeout(r, page.items.length > 0 ? 100 : 1000));
  }
}

async function act(button: HTMLButtonElement, title: string, body: string, label: string, action: (d: DeploymentInfo) => Promise<Node | string>): Promise<void> {
  if (!deployment || !(await confirmAction(title, body, label))) return;
  const d = deployment;
  await busy(button, async () => {
    try {
      announce(status, `${label}…`);
      const result = await action(d);
      await refresh();
      announce(status, result);
    } catch (error) {
      announce(status, errorText(error), 'error');
    }
  });
}

buttons.promote.addEventListener('click', () =>
  act(buttons.promote, 'Promote to production?', 'The production host will serve this deployment immediately.', 'Promote', async (d) => {
    const change = await api<AliasChange>('POST', `/v1/projects/${enc(d.projectId)}/promote`, { deploymentId: d.id });
    return `Promoted: ${change.alias.host} now serves this deployment.`;
  }),
);
buttons.rollback.addEventListener('click', () =>
  act(buttons.rollback, 'Roll back production?', 'The production host will serve the previous READY production deployment again.', 'Roll back', async (d) => {
    const change = await api<AliasChange>('POST', `/v1/projects/${enc(d.projectId)}/rollback`, {});
    return h('span', {}, `Rolled back: ${change.alias.host} now serves `, h('a', { href: `/deployment/?id=${enc(change.alias.deploymentId)}` }, change.alias.deploymentId), '.');
  }),
);
buttons.cancel.addEventListener('click', () =>
  act(buttons.cancel, 'Cancel this build?', 'The build stops and the deployment is marked CANCELED.', 'Cancel build', async (d) => {
    const canceled = await api<DeploymentInfo>('POST', `/v1/deployments/${enc(d.id)}/cancel`);
    return `Build ${canceled.state.toLowerCase()}.`;
  }),
);
buttons.redeploy.addEventListener('click', () =>
  act(buttons.redeploy, 'Redeploy?', 'A new deployment builds from the same source.', 'Redeploy', async (d) => {
    const created = await api<DeploymentInfo>('POST', `/v1/deployments/${enc(d.id)}/redeploy`, {});
    return h('span', {}, 'New deployment queued: ', h('a', { href: `/deployment/?id=${enc(created.id)}` }, `open ${created.shortId}`), '.');
  }),
);

if (id) {
  refresh().then(followLog, (error) => {
    showError(summary, error);
    logState.textContent = '';
    $('#no-actions').textContent = 'No actions: the deployment could not be loaded.';
  });
}
