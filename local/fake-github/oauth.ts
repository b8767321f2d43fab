/**
 * The App's OAuth web flow: the authorize page, the code exchange (and refresh) at
 * `POST /login/oauth/access_token`, and what a user access token may call (`GET /user`,
 * `GET /user/installations`), with which a client proves a user can access an installation.
 */
import { escapeHtml, htmlPage, none, ok, page, type Reply, type RequestContext, type Route, user } from './http.ts';
import { DEFAULT_USER, LOGIN, secretEquals, stableId, type World } from './world.ts';

const OAUTH_ERRORS_URL = 'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors';

const oauthError = (error: string, description: string, uri: string) => ({ error, error_description: description, error_uri: uri });

/** OAuth answers: JSON when the client accepts it (Octokit does), else GitHub's default, a form-encoded body. */
function oauthReply(accept: string | undefined, fields: Record<string, string | number>): Reply {
  if (/\bjson\b/i.test(accept ?? '')) return ok(fields);
  const form = new URLSearchParams(Object.entries(fields).map(([key, value]) => [key, String(value)]));
  return { status: 200, raw: Buffer.from(form.toString()), headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' } };
}

/** The OAuth routes, in the order they are tried. */
export function oauthRoutes(world: World): Route[] {
  const authorizePage = ({ url }: RequestContext): Reply => {
    const query = url.searchParams;
    if (query.get('client_id') !== world.clientId) return htmlPage(404, 'Page not found', '<p>Not Found</p>');
    const login = query.get('login') ?? DEFAULT_USER;
    if (!LOGIN.test(login)) return htmlPage(422, 'Unprocessable', `<p>Not a GitHub login: ${escapeHtml(login)}</p>`);
    const redirectUri = query.get('redirect_uri') ?? undefined;
    const target = redirectUri ?? world.setupUrl;
    let location: URL | undefined;
    if (target !== undefined) {
      location = URL.canParse(target) ? new URL(target) : undefined;
      if (!location || !['http:', 'https:'].includes(location.protocol)) return htmlPage(400, 'Redirect URI mismatch', `<p>The redirect_uri is not valid: ${escapeHtml(target)}</p>`);
    }
    const code = world.authorize(login, redirectUri);
    if (!location) return htmlPage(200, 'Authorized', `<p>${login} authorized ${world.appSlug}: code <strong id="code">${code}</strong>.</p>`);
    location.searchParams.set('code', code);
    const state = query.get('state');
    if (state !== null) location.searchParams.set('state', state);
    return { status: 302, headers: { location: location.href } };
  };

  return [
    // --- User access token (OAuth web flow) --------------------------------------------------
    user('GET', '/user', ({ user: u }) => ok({ ...world.userJson(u.login, stableId(u.login), 'User'), name: null, email: null })),
    user('GET', '/user/installations', ({ user: u, url }) => {
      const mine = [...world.installations.values()].filter((i) => i.users.has(u.login.toLowerCase())).sort((a, b) => a.id - b.id);
      const { items, headers } = page(url, mine);
      // `total_count` and one list key, like `/installation/repositories`: plugin-paginate-rest unwraps it.
      return ok({ total_count: mine.length, installations: items.map((i) => world.installationJson(i)) }, headers);
    }),

    // --- OAuth (at github.com's root, where @octokit/oauth-methods posts: the REST base URL minus `/api/v3`)
    {
      ...none('POST', '/login/oauth/access_token', ({ url, body, headers }) => {
        // GitHub takes the parameters from the query string too; a body field wins.
        const input: Record<string, unknown> = { ...Object.fromEntries(url.searchParams), ...(typeof body === 'object' && body !== null && !Array.isArray(body) ? body : {}) };
        const field = (name: string) => (typeof input[name] === 'string' ? input[name] : undefined);
        // OAuth answers its errors with 200 and an `error` field; @octokit/oauth-methods turns them into a RequestError.
        const answer = (fields: Record<string, string | number>) => oauthReply(headers.accept, fields);
        const secret = field('client_secret');
        if (field('client_id') !== world.clientId || secret === undefined || !secretEquals(secret, world.clientSecret)) {
          return answer(oauthError('incorrect_client_credentials', 'The client_id and/or client_secret passed are incorrect.', `${OAUTH_ERRORS_URL}#incorrect-client-credentials`));
        }
        const grantType = field('grant_type') ?? 'authorization_code';
        if (grantType === 'refresh_token') {
          const refreshToken = field('refresh_token') ?? '';
          const grant = world.refreshTokens.get(refreshToken);
          // A refresh token is spent by its refresh: the answer carries the next one.
          world.refreshTokens.delete(refreshToken);
          if (!grant || grant.expiresAt <= Date.now()) return answer(oauthError('bad_refresh_token', 'The refresh token passed is incorrect or expired.', 'https://docs.github.com/apps/creating-github-apps/authenticating-with-a-github-app/refreshing-user-access-tokens'));
          return answer(world.mintUserToken(grant.login));
        }
        if (grantType !== 'authorization_code') return answer(oauthError('unsupported_grant_type', `The grant type ${grantType} is not supported.`, OAUTH_ERRORS_URL));
        const code = field('code') ?? '';
        const grant = world.oauthCodes.get(code);
        // One exchange per code, whatever its outcome.
        world.oauthCodes.delete(code);
        if (!grant || grant.expiresAt <= Date.now()) return answer(oauthError('bad_verification_code', 'The code passed is incorrect or expired.', `${OAUTH_ERRORS_URL}#bad-verification-code`));
        const redirectUri = field('redirect_uri');
        if (redirectUri !== undefined && grant.redirectUri !== undefined && redirectUri !== grant.redirectUri) {
          return answer(oauthError('redirect_uri_mismatch', 'The redirect_uri MUST match the registered callback URL for this application.', `${OAUTH_ERRORS_URL}#redirect-uri-mismatch`));
        }
        return answer(world.mintUserToken(grant.login));
      }),
      form: true,
      redact: ['client_secret', 'code', 'refresh_token'],
    },

    // The App's "Authorize" page of the OAuth web flow: the user (`?login=`, not GitHub's) approves
    // at once and the browser goes to `redirect_uri`, else to the App's callback URL (`setupUrl`).
    // Also at the root, where @octokit/oauth-methods' `getWebFlowAuthorizationUrl` puts it (the REST
    // base URL minus `/api/v3`, as on GitHub Enterprise Server).
    ...['/_web/login/oauth/authorize', '/login/oauth/authorize'].map((template) => none('GET', template, authorizePage)),
  ];
}
