/**
 * A fake of the slice of GitHub that Runway's GitHub App uses — the REST API, codeload's tarball
 * downloads and the App's install page — for tests and `npm start` on a machine that cannot reach
 * GitHub. It speaks the protocol the real `@octokit/app` client speaks (RS256 App JWTs, installation
 * tokens, `Link` pagination, the tarball redirect), so the production adapter is pointed at it
 * unchanged. Given a webhook URL, it also delivers the App's webhooks as GitHub does (signed,
 * one at a time): `installation` when its install page installs the App, `push` when its control
 * API (`/_fake/…`, not GitHub's) is asked to push. It also runs the App's OAuth web flow (the
 * authorize page, the code exchange, user access tokens and `GET /user/installations`), with which
 * a client proves that a user can access an installation. State is in memory and dies with the server.
 *
 * The modules under `fake-github/`: `world.ts` (the state and GitHub's JSON shapes), `http.ts`
 * (routes, dispatch, GitHub's error and pagination shapes; paths matched by the route matcher the
 * local API gateway uses), `auth.ts` (App JWTs, installation and user tokens), `rest.ts` (the
 * REST API and codeload), `oauth.ts` (the OAuth web flow), `web.ts` (the install page and the
 * control API), `webhooks.ts` (webhook delivery).
 */
import { generateKeyPair } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { dispatch, errorReply, GitHubApiError, send } from './fake-github/http.ts';
import { oauthRoutes } from './fake-github/oauth.ts';
import { restRoutes } from './fake-github/rest.ts';
import type { FakeGitHub, FakeGitHubOptions } from './fake-github/types.ts';
import { webRoutes } from './fake-github/web.ts';
import { Hookshot } from './fake-github/webhooks.ts';
import { DEFAULT_USER, readTree, World } from './fake-github/world.ts';
import { createRouteMatcher } from './route-matcher.ts';

export type {
  FakeGitHub,
  FakeGitHubCall,
  FakeGitHubOptions,
  FakeInstallation,
  FakeInstallationInput,
  FakeRepositoryInput,
  FakeWebhookDelivery,
  FakeWebhookTarget,
} from './fake-github/types.ts';

/**
 * Starts the fake on `host:port` (127.0.0.1, any free port by default) with a fresh App key pair.
 * Point Octokit at it with `Octokit.defaults({ baseUrl: fake.url })`.
 */
export async function startFakeGitHub(options: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  const { host = '127.0.0.1', port = 0, appId = 424242, appSlug = 'runway-local', setupUrl, webhook } = options;
  const { privateKey, publicKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
  const hookshot = webhook ? new Hookshot(webhook, appId) : undefined;
  const world = new World(appId, appSlug, publicKey, setupUrl, hookshot);
  // First match wins: the REST routes, then OAuth, then the web pages and the control API.
  const matchRoute = createRouteMatcher([...restRoutes(world), ...oauthRoutes(world), ...webRoutes(world)]);

  const server = http.createServer((req, res) => {
    dispatch(world, matchRoute, req).then(
      (reply) => send(res, reply),
      (error: unknown) => {
        if (error instanceof GitHubApiError) return send(res, errorReply(error));
        // A bug in the fake: say so on stderr, tell the client only that the server failed.
        console.error('[fake-github]', req.method, req.url, error);
        send(res, { status: 500, body: { message: 'Server Error' } });
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  world.url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;

  return {
    url: world.url,
    webUrl: world.webUrl,
    appId,
    appSlug,
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    clientId: world.clientId,
    clientSecret: world.clientSecret,
    authorize: (login = DEFAULT_USER) => world.authorize(login),
    calls: world.calls,
    deliveries: hookshot?.deliveries ?? [],
    webhooksDelivered: async () => hookshot?.settled(),
    addInstallation: (input) => world.addInstallation(input),
    removeInstallation: (id) => world.removeInstallation(id),
    addRepository: (installationId, repo) => world.addRepository(installationId, repo),
    commit: (fullName, branch, files, message) => world.commit(fullName, branch, files, message),
    commitDirectory: async (fullName, branch, dir, message) => world.commit(fullName, branch, await readTree(dir), message),
    callsTo: (method, pathOrPattern) =>
      world.calls.filter((call) => call.method === method.toUpperCase() && (typeof pathOrPattern === 'string' ? call.path.startsWith(pathOrPattern) : pathOrPattern.test(call.path))),
    close: async () => {
      // Deliveries under way finish (or time out) first: none may land after close() returned.
      await hookshot?.settled();
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Octokit's fetch keeps connections alive; without this, close() waits for them to time out.
        server.closeAllConnections();
      });
    },
  };
}