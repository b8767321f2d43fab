import * as z from 'zod';
import { dynamoDbRepositories } from '#adapters/db/dynamodb/index';
import { OctokitGitHub } from '#adapters/github/octokit';
import { InstallationInfo, InstallLink, LinkInstallationBody, RepositoryInfo } from '#core/github/schema';
import * as Installation from '#core/github/installation';
import { pageOf } from '#core/schemas';
import { apiHandler, tokenRoute } from '#lib/api';
import { wire } from '#lib/context';

const InstallationParams = z.strictObject({ installationId: z.coerce.number().int().positive() });

/** The team's GitHub App installations and the repositories they make importable. */
export const routes = {
  'POST /v1/git/install': tokenRoute({
    summary: "Start installing the GitHub App for this team: the App's install URL with a one-time state (valid 1 hour)",
    access: 'admin',
    body: z.strictObject({}),
    responds: { status: 201, body: InstallLink },
    handler: async ({ auth }) => ({ status: 201, body: await Installation.createClaim(auth.teamId) }),
  }),
  'GET /v1/git/installations': tokenRoute({
    summary: "The team's GitHub App installations",
    responds: { status: 200, body: pageOf(InstallationInfo) },
    handler: async ({ auth }) => ({ body: { items: await Installation.list(auth.teamId), next: null } }),
  }),
  'POST /v1/git/installations': tokenRoute({
    summary: 'Link the installation GitHub sent back to the setup URL: the state from /v1/git/install and the OAuth code of a person who can access it',
    access: 'admin',
    body: LinkInstallationBody,
    responds: { status: 201, body: InstallationInfo },
    handler: async ({ body, auth }) => ({ status: 201, body: await Installation.link(auth.teamId, body.installationId, body.state, body.code) }),
  }),
  'DELETE /v1/git/installations/{installationId}': tokenRoute({
    summary: 'Unlink an installation: its pushes no longer deploy (uninstall the App on GitHub to revoke its access)',
    access: 'admin',
    params: InstallationParams,
    responds: { status: 204 },
    handler: async ({ params, auth }) => {
      await Installation.unlink(auth.teamId, params.installationId);
      return { status: 204 };
    },
  }),
  'GET /v1/git/repositories': tokenRoute({
    summary: "Repositories the team's installations can read, importable as projects",
    responds: { status: 200, body: pageOf(RepositoryInfo) },
    handler: async ({ auth }) => ({ body: { items: await Installation.repositories(auth.teamId), next: null } }),
  }),
};

// Linking asks GitHub (as the App) about the installation.
wire({ ...dynamoDbRepositories, github: () => new OctokitGitHub() });

export const handler = apiHandler(routes);
