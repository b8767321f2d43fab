import { api, session } from '../lib/api.ts';
import { $, h } from '../lib/ui.ts';
import type { Page, TeamInfo } from '../lib/types.ts';

// The team bar of every signed-in page: which team the console acts for, switching to another
// team this tab holds a token of, adding one, and signing out.
const button = $('#team-button') as HTMLButtonElement;
const menu = $('#team-menu');
const list = $('#team-list');
const forget = $('#forget-team') as HTMLButtonElement;
const signOut = $('#sign-out') as HTMLButtonElement;

function render(): void {
  const current = session.current();
  const teams = session.teams();
  $('#team-name').textContent = current?.teamName ?? '—';
  // Two teams may share a name: their ids tell them apart.
  const named = (t: { teamName: string; teamId: string }) => (teams.filter((o) => o.teamName === t.teamName).length > 1 ? `${t.teamName} (${t.teamId})` : t.teamName);
  list.replaceChildren(
    ...teams.map((t) => {
      const isCurrent = t.teamId === current?.teamId;
      const item = h(
        'button',
        { type: 'button', class: 'menu-item', 'aria-current': isCurrent ? 'true' : undefined, 'data-team': t.teamId },
        h('span', {}, named(t)),
        isCurrent ? h('span', { 'aria-hidden': 'true' }, '✓') : null,
        isCurrent ? h('span', { class: 'visually-hidden' }, ' (current team)') : null,
      );
      item.addEventListener('click', () => {
        if (isCurrent) return close(true);
        session.use(t.teamId);
        // A page of one team (a project, a deployment) means nothing in another: start at its projects.
        location.assign('/');
      });
      return h('li', {}, item);
    }),
  );
  forget.hidden = teams.length < 2;
  if (current) forget.textContent = `Sign out of ${named(current)} only`;
  signOut.textContent = teams.length < 2 ? 'Sign out' : `Sign out of all ${teams.length} teams`;
}

function open(): void {
  render();
  menu.hidden = false;
  button.setAttribute('aria-expanded', 'true');
  (menu.querySelector<HTMLElement>('[aria-current="true"]') ?? menu.querySelector<HTMLElement>('button, a'))?.focus();
}

function close(focusButton: boolean): void {
  if (menu.hidden) return;
  menu.hidden = true;
  button.setAttribute('aria-expanded', 'false');
  if (focusButton) button.focus();
}

button.addEventListener('click', () => (menu.hidden ? open() : close(true)));
document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape' && !menu.hidden) close(true);
});
document.addEventListener('click', (event) => {
  if (!menu.hidden && !(event.target instanceof Node && (menu.contains(event.target) || button.contains(event.target)))) close(false);
});
menu.addEventListener('focusout', (event) => {
  const to = event.relatedTarget;
  if (to instanceof Node && !menu.contains(to) && !button.contains(to)) close(false);
});

forget.addEventListener('click', () => {
  session.forgetCurrent();
  location.assign(session.token() ? '/' : '/signin/');
});
signOut.addEventListener('click', () => {
  session.signOut();
  location.assign('/signin/');
});

render();

// A tab signed in before tokens were kept per team has a token but no team entry: look it up once.
const token = session.token();
if (token && !session.current()) {
  void api<Page<TeamInfo>>('GET', '/v1/teams').then(
    (teams) => {
      const team = teams.items[0];
      if (team && session.token() === token) {
        session.add(team, token);
        render();
      }
    },
    // A refused token is explained by the page's own requests, which fail the same way.
    () => undefined,
  );
}
