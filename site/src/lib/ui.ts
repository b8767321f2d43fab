import { ApiError, isSignedOutError, session } from './api.ts';
import type { DeploymentInfo, DeploymentState } from './types.ts';

type Child = Node | string | null | undefined | false;

/** A DOM element; text goes in as text nodes, so API strings can never become markup. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | boolean | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    node.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children) if (child !== null && child !== undefined && child !== false) node.append(child);
  return node;
}

export function $(selector: string): HTMLElement {
  const node = document.querySelector<HTMLElement>(selector);
  if (!node) throw new Error(`The page has no ${selector}`);
  return node;
}

/**
 * Sends the visitor to sign in (and back here afterwards) when there is no token. Page scripts
 * `await` it at the top: signed out, it never resolves, so nothing else runs while the browser
 * navigates away.
 */
export function requireSession(): Promise<void> {
  if (session.token()) return Promise.resolve();
  location.replace(`/signin/?next=${encodeURIComponent(location.pathname + location.search)}`);
  return new Promise(() => undefined);
}

/** A query parameter the page cannot work without; shows what to do when it is missing. */
export function requireParam(name: string, region: HTMLElement, what: string): string | undefined {
  const value = new URLSearchParams(location.search).get(name);
  if (!value) showError(region, new Error(`This page needs ?${name}=… in its address. Open ${what} from the projects list.`));
  return value ?? undefined;
}

/** Replaces a region's content with an error that says what to do next. */
export function showError(region: HTMLElement, error: unknown): void {
  if (isSignedOutError(error)) {
    // Only the token that was refused is forgotten; the tab stays signed in to its other teams.
    const refused = session.current();
    const next = session.forgetCurrent();
    const whose = refused ? `Your token for team ${refused.teamName}` : 'Your token';
    region.replaceChildren(
      h(
        'p',
        { class: 'notice error', role: 'alert' },
        `${whose} is no longer valid. `,
        h('a', { href: `/signin/?next=${encodeURIComponent(location.pathname + location.search)}` }, 'Sign in again'),
        next ? h('span', {}, ', or ', h('a', { href: '/' }, `go to team ${next.teamName}`)) : null,
        '.',
      ),
    );
    return;
  }
  const message = error instanceof Error ? error.message : String(error);
  const hint = error instanceof ApiError && error.status === 404 ? ' It may have been deleted; go back to the projects list.' : '';
  region.replaceChildren(h('p', { class: 'notice error', role: 'alert' }, message + hint));
}

/** Writes a result into a live region (role=status), styled ok or error. */
export function announce(region: HTMLElement, message: string | Node, kind: 'ok' | 'error' = 'ok'): void {
  region.className = `notice ${kind}`;
  region.replaceChildren(message);
}

export function errorText(error: unknown): string {
  if (isSignedOutError(error)) return 'Your token is no longer valid: sign out and sign in again.';
  return error instanceof Error ? error.message : String(error);
}

export function badge(state: DeploymentState): HTMLElement {
  return h('span', { class: `badge badge-${state.toLowerCase()}` }, state);
}

const units: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1000],
];
const relative = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });

/** "3 minutes ago", in a <time> with the exact timestamp. */
export function age(iso: string): HTMLElement {
  const diff = new Date(iso).getTime() - Date.now();
  const [unit, ms] = units.find(([, ms]) => Math.abs(diff) >= ms) ?? ['second', 1000];
  return h('time', { datetime: iso, title: iso }, relative.format(Math.round(diff / ms), unit));
}

/** Build duration: from the start of the build to its end (or now, while building). */
export function duration(d: DeploymentInfo): string {
  const start = d.buildingAt ?? d.createdAt;
  const end = d.readyAt ?? d.erroredAt ?? d.canceledAt ?? (d.state === 'BUILDING' ? new Date().toISOString() : undefined);
  if (!end || d.state === 'QUEUED') return '—';
  const s = Math.max(0, Math.round((new Date(end).getTime() - new Date(start).getTime()) / 1000));
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m ${s % 60}s`;
}

export const filesLabel = (count: number): string => `${count} uploaded file${count === 1 ? '' : 's'}`;

export const isFinal = (state: DeploymentState): boolean => state === 'READY' || state === 'ERROR' || state === 'CANCELED';

/**
 * Asks for confirmation in the page's <dialog id="confirm"> (modal: focus is trapped and Escape
 * cancels). Resolves true when the person confirmed.
 */
export function confirmAction(title: string, body: string, confirmLabel: string): Promise<boolean> {
  const dialog = $('#confirm') as HTMLDialogElement;
  $('#confirm-title').textContent = title;
  $('#confirm-body').textContent = body;
  const ok = $('#confirm-ok') as HTMLButtonElement;
  ok.textContent = confirmLabel;
  dialog.returnValue = '';
  dialog.showModal();
  return new Promise((resolve) => dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true }));
}

/** Disables a button while its action runs, so a double click does not send twice. */
export async function busy<T>(button: HTMLButtonElement, action: () => Promise<T>): Promise<T> {
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    return await action();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}
