import { Entity, Service } from 'electrodb';
import { dynamoClient } from '#adapters/aws/clients';
import { key } from '#adapters/db/dynamodb/model';
import { config } from '#lib/config';

/**
 * The GitHub integration's items, in the control-plane table beside the rest:
 *
 * | entity         | pk / sk                                              |
 * |----------------|------------------------------------------------------|
 * | installation   | gh-installation#<id> / installation                  |
 * | repository     | gh-installation#<id> / repo#<repoId>                 |
 * | teamLink       | team#<teamId> / gh-installation#<id>                 |
 * | claim          | gh-claim#<sha256 of the state> / claim (TTL)         |
 * | gitDeployment  | deployment#<deploymentId> / github                   |
 *
 * An installation belongs to at most one team: the team that asked GitHub to install the App
 * (its claim's `state` comes back with the installation id). Pushes reach a project only through
 * its team's installation, so an unlinked or suspended installation deploys nothing.
 */
const SERVICE = 'runway';
const str = { type: 'string', required: true } as const;
const num = { type: 'number', required: true } as const;

export const InstallationEntity = new Entity({
  model: { entity: 'ghInstallation', version: '1', service: SERVICE },
  attributes: {
    installationId: { ...num, readOnly: true },
    accountLogin: str,
    accountType: { type: 'string' },
    repositorySelection: { type: ['all', 'selected'] as const },
    /** The team it is linked to; absent until a team claims it. */
    teamId: { type: 'string' },
    linkedAt: { type: 'string' },
    suspendedAt: { type: 'string' },
    createdAt: { ...str, readOnly: true },
    updatedAt: str,
  },
  indexes: {
    byId: { pk: key('pk', ['installationId'], 'gh-installation#${installationId}'), sk: key('sk', [], 'installation') },
  },
});

export const RepositoryEntity = new Entity({
  model: { entity: 'ghRepository', version: '1', service: SERVICE },
  attributes: {
    installationId: { ...num, readOnly: true },
    repoId: { ...num, readOnly: true },
    fullName: str,
    private: { type: 'boolean', required: true },
    defaultBranch: { type: 'string' },
  },
  indexes: {
    byInstallation: { pk: key('pk', ['installationId'], 'gh-installation#${installationId}'), sk: key('sk', ['repoId'], 'repo#${repoId}') },
  },
});

export const TeamLinkEntity = new Entity({
  model: { entity: 'ghTeamLink', version: '1', service: SERVICE },
  attributes: { teamId: { ...str, readOnly: true }, installationId: { ...num, readOnly: true }, linkedAt: str },
  indexes: {
    byTeam: { pk: key('pk', ['teamId'], 'team#${teamId}'), sk: key('sk', ['installationId'], 'gh-installation#${installationId}') },
  },
});

export const ClaimEntity = new Entity({
  model: { entity: 'ghClaim', version: '1', service: SERVICE },
  attributes: {
    stateHash: { ...str, readOnly: true },
    teamId: { ...str, readOnly: true },
    createdAt: { ...str, readOnly: true },
    expiresAt: str,
    /** DynamoDB TTL (epoch seconds) removes expired claims. */
    ttl: num,
  },
  indexes: {
    byHash: { pk: key('pk', ['stateHash'], 'gh-claim#${stateHash}'), sk: key('sk', [], 'claim') },
  },
});

/** What ties a deployment to GitHub: where to report, and what was reported. */
export const GitDeploymentEntity = new Entity({
  model: { entity: 'ghDeployment', version: '1', service: SERVICE },
  attributes: {
    deploymentId: { ...str, readOnly: true },
    installationId: { ...num, readOnly: true },
    repo: { ...str, readOnly: true },
    sha: { ...str, readOnly: true },
    prNumber: { type: 'number' },
    githubDeploymentId: { type: 'number' },
    /** The last state reported, so a repeated event does not report twice. */
    reportedState: { type: 'string' },
  },
  indexes: {
    byDeployment: { pk: key('pk', ['deploymentId'], 'deployment#${deploymentId}'), sk: key('sk', [], 'github') },
  },
});

const service = new Service({
  installation: InstallationEntity,
  repository: RepositoryEntity,
  teamLink: TeamLinkEntity,
  claim: ClaimEntity,
  gitDeployment: GitDeploymentEntity,
});

let wired = false;

/** The GitHub entities, bound on first use to the table of `config()`. */
export function gh(): typeof service {
  if (!wired) {
    service.setTableName(config().RUNWAY_TABLE_NAME);
    service.setClient(dynamoClient());
    wired = true;
  }
  return service;
}
