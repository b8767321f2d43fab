import { session } from '../lib/api.ts';
import { $ } from '../lib/ui.ts';

// The team bar of every signed-in page: the team the token belongs to, and signing out.
$('#team-name').textContent = session.teamName() ?? '—';
$('#sign-out').addEventListener('click', () => {
  session.signOut();
  location.assign('/signin/');
});
