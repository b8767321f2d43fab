import { ApiError, api, session } from '../lib/api.ts';
import { $, announce, busy, errorText } from '../lib/ui.ts';
import type { Page, TeamInfo } from '../lib/types.ts';

const form = $('#signin') as HTMLFormElement;
const input = $('#token') as HTMLInputElement;
const status = $('#signin-status');
// "Add a team" from the header: the same form, for a token of one more team.
const adding = session.teams().length > 0;
if (adding) {
  $('#signin-title').textContent = 'Add a team';
  document.title = 'Add a team · Runway';
  $('#add-intro').hidden = false;
  $('#signin-cancel').hidden = false;
  ($('#signin-submit') as HTMLButtonElement).textContent = 'Add team';
}
input.focus();

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const token = input.value.trim();
  if (!token) {
    announce(status, 'Paste an API token (it starts with rwy_).', 'error');
    input.setAttribute('aria-invalid', 'true');
    return;
  }
  await busy($('#signin-submit') as HTMLButtonElement, async () => {
    announce(status, 'Checking the token…');
    try {
      // The token is checked before it is kept: GET /v1/teams answers the token's own team.
      const teams = await api<Page<TeamInfo>>('GET', '/v1/teams', undefined, token);
      const team = teams.items[0];
      if (!team) throw new Error('This token belongs to no team.');
      session.add(team, token);
      const next = new URLSearchParams(location.search).get('next');
      // Only same-site paths: `next` comes from the address bar.
      location.assign(next && next.startsWith('/') && !next.startsWith('//') ? next : '/');
    } catch (error) {
      input.setAttribute('aria-invalid', 'true');
      const rejected = error instanceof ApiError && error.status === 401;
      announce(status, rejected ? 'That token was not accepted: check it was copied whole, or create a new one.' : `Sign-in failed: ${errorText(error)}`, 'error');
    }
  });
});
