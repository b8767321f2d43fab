import { createConversions, Entity, Service, type EntityItem } from 'electrodb';
import { dynamoClient } from '#adapters/aws/clients';
import type { DeploymentState } from '#core/deployment/schema';
import { config } from '#lib/config';

/**
 * The control-plane data model: one ElectroDB service over the single table (`pk`/`sk` plus the
 * overloaded `gsi1`/`gsi2`). Keys come from the access patterns:
 *
 * | entity      | pk / sk                                  | gsi1 (pk / sk)                        | gsi2 (pk / sk)                     |
 * |-------------|------------------------------------------|---------------------------------------|------------------------------------|
 * | team        | team#<id> / team                         |                                       |                                    |
 * | teamName    | team-name#<name> / team-name             |                                       |                                    |
 * | member      | team#<teamId> / member#<principal>       |                                       |                                    |
 * | token       | token-hash#<sha256> / token              | team#<teamId> / token#<createdAt>#<id>| token#<id> / token                 |
 * | project     | project#<id> / project                   | team#<teamId> / project#<name>        |                                    |
 * | projectName | team#<teamId> / project-name#<name>      |                                       |                                    |
 * | env         | project#<projectId> / env#<key>#<target> |                                       |                                    |
 * | deployment  | deployment#<id> / deployment             | project#<projectId> / deployment#<createdAt>#<id> | team#<teamId> / deployment#<createdAt>#<id> |
 * | alias       | alias#<host> / alias                     | project#<projectId> / alias#<host> ¹  | project-hosts#<projectId> / alias#<host> ² |
 * | edgeRef     | edge-key#<key> / ref#<deploymentId>      |                                       |                                    |
 * | projectDeletion | project-deletions / project#<projectId> |                               |                                    |
 * | rateLimit   | rate#<tokenId> / window#<start>          |                                       |                                    |
 * | build       | build#<deploymentId> / build             |                                       |                                    |
 * | domain      | project#<projectId> / domain#<name>      | domain-name#<name> / project#<projectId> | domains / domain#<name>#<projectId> |
 * | domainToken | team#<teamId> / domain-token             |                                       |                                    |
 *
 * ¹ production, branch and custom aliases only; ² deployment hosts only (sparse, by `kind`).
 * gsi3 is sparse: it holds deployments while they are QUEUED or BUILDING (`deployment-state#<state>
 * / deployment#<id>`), and nothing else, so the stuck-deployment sweep reads only what is in
 * flight ("Take advantage of sparse indexes",
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-indexes-general-sparse-indexes.html).
 *
 * Objects are keyed by their own id, never by their team: every read loads the object and then
 * checks its `teamId`, and builds can address a deployment by id alone.
 */

const SERVICE = 'runway';
const str = { type: 'string', required: true } as const;
const optStr = { type: 'string' } as const;
const createdAt = { type: 'string', required: true, readOnly: true } as const;
const version = { type: 'number', required: true } as const;

/** One key of an index: attribute, composite attributes and template (case kept as is). */
export function key<const F extends string, const C extends readonly string[]>(field: F, composite: C, template: string) {
  return { field, composite, template, casing: 'none' as const };
}

export const TeamEntity = new Entity({
  model: { entity: 'team', version: '1', service: SERVICE },
  attributes: { id: { ...str, readOnly: true }, name: str, createdAt },
  indexes: {
    byId: { pk: key('pk', ['id'], 'team#${id}'), sk: key('sk', [], 'team') },
  },
});

/** Uniqueness item of a team name. */
export const TeamNameEntity = new Entity({
  model: { entity: 'teamName', version: '1', service: SERVICE },
  attributes: { name: str, teamId: str },
  indexes: {
    byName: { pk: key('pk', ['name'], 'team-name#${name}'), sk: key('sk', [], 'team-name') },
  },
});

export const MemberEntity = new Entity({
  model: { entity: 'member', version: '1', service: SERVICE },
  attributes: {
    teamId: str,
    principal: str,
    role: { type: ['owner', 'member', 'viewer'] as const, required: true },
    createdAt,
    updatedAt: str,
  },
  indexes: {
    byTeam: { pk: key('pk', ['teamId'], 'team#${teamId}'), sk: key('sk', ['principal'], 'member#${principal}') },
  },
});

export const TokenEntity = new Entity({
  model: { entity: 'token', version: '1', service: SERVICE },
  attributes: {
    id: { ...str, readOnly: true },
    teamId: { ...str, readOnly: true },
    name: str,
    role: { type: ['owner', 'member', 'viewer'] as const, required: true },
    /** sha256 hex of the secret; the secret itself is never stored. */
    hash: { ...str, readOnly: true },
    createdAt,
    expiresAt: optStr,
    revokedAt: optStr,
  },
  indexes: {
    // Keyed by the hash: authenticating a request is one strongly consistent GetItem, so a new
    // token works and a revoked one stops at once, without waiting for an index to catch up.
    byHash: { pk: key('pk', ['hash'], 'token-hash#${hash}'), sk: key('sk', [], 'token') },
    byTeam: {
      index: 'gsi1',
      pk: key('gsi1pk', ['teamId'], 'team#${teamId}'),
      sk: key('gsi1sk', ['createdAt', 'id'], 'token#${createdAt}#${id}'),
    },
    byId: { index: 'gsi2', pk: key('gsi2pk', ['id'], 'token#${id}'), sk: key('gsi2sk', [], 'token') },
  },
});

export const ProjectEntity = new Entity({
  model: { entity: 'project', version: '1', service: SERVICE },
  attributes: {
    id: { ...str, readOnly: true },
    teamId: { ...str, readOnly: true },
    name: str,
    gitRepository: { type: 'any' },
    framework: optStr,
    rootDirectory: optStr,
    installCommand: optStr,
    buildCommand: optStr,
    outputDirectory: optStr,
    productionBranch: str,
    createdAt,
    updatedAt: str,
    /** Set when deletion started; the project is gone for every reader from then on. */
    deletedAt: optStr,
    version,
  },
  indexes: {
    byId: { pk: key('pk', ['id'], 'project#${id}'), sk: key('sk', [], 'project') },
    byTeam: { index: 'gsi1', pk: key('gsi1pk', ['teamId'], 'team#${teamId}'), sk: key('gsi1sk', ['name'], 'project#${name}') },
  },
});

/** Uniqueness item of a project name within its team. */
export const ProjectNameEntity = new Entity({
  model: { entity: 'projectName', version: '1', service: SERVICE },
  attributes: { teamId: str, name: str, projectId: str },
  indexes: {
    byName: { pk: key('pk', ['teamId'], 'team#${teamId}'), sk: key('sk', ['name'], 'project-name#${name}') },
  },
});

export const EnvVarEntity = new Entity({
  model: { entity: 'env', version: '1', service: SERVICE },
  attributes: {
    id: { ...str, readOnly: true },
    teamId: { ...str, readOnly: true },
    projectId: str,
    key: str,
    target: { type: ['production', 'preview', 'development'] as const, required: true },
    sensitive: { type: 'boolean', required: true },
    /** `builds` / `functions`; absent on vars that have both (and on those written before scopes). */
    scopes: { type: 'list', items: { type: 'string' } },
    /** base64 KMS ciphertext, bound to {teamId, projectId, key}. */
    ciphertext: str,
    createdAt,
    updatedAt: str,
    version,
  },
  indexes: {
    byProject: {
      pk: key('pk', ['projectId'], 'project#${projectId}'),
      sk: key('sk', ['key', 'target'], 'env#${key}#${target}'),
    },
  },
});

const DEPLOYMENT_STATES = ['QUEUED', 'BUILDING', 'READY', 'ERROR', 'CANCELED'] as const satisfies readonly DeploymentState[];

export const DeploymentEntity = new Entity({
  model: { entity: 'deployment', version: '1', service: SERVICE },
  attributes: {
    id: { ...str, readOnly: true },
    shortId: { ...str, readOnly: true },
    teamId: { ...str, readOnly: true },
    projectId: { ...str, readOnly: true },
    projectName: { ...str, readOnly: true },
    target: { type: ['production', 'preview'] as const, required: true, readOnly: true },
    state: { type: DEPLOYMENT_STATES, required: true },
    branch: optStr,
    commitSha: optStr,
    commitMessage: optStr,
    /** Summary of the source; a file list lives in the team's blob store under `filesSha`. */
    source: { type: 'any', required: true },
    meta: { type: 'any' },
    url: { ...str, readOnly: true },
    createdAt,
    buildingAt: optStr,
    readyAt: optStr,
    erroredAt: optStr,
    canceledAt: optStr,
    errorStep: optStr,
    errorMessage: optStr,
    /** Routing-config key the edge appends to this deployment's KVS value (`<id> <configKey>`). */
    configKey: optStr,
    /** A host refused to this READY deployment: `{host, code, message}`. */
    aliasError: { type: 'any' },
    /** Edge keys besides its hosts the deployment published (cleanup follows them). */
    edgeKeys: { type: 'list', items: { type: 'string' } },
    /** Its functions as the API lists them (`DeploymentFunctionSummary[]`), written by finalize. */
    functions: { type: 'any' },
    redeployOf: optStr,
    version,
  },
  indexes: {
    byId: { pk: key('pk', ['id'], 'deployment#${id}'), sk: key('sk', [], 'deployment') },
    // Sparse: the keys exist only while the deployment is QUEUED or BUILDING; a state change
    // rewrites them, and the move to a final state removes them (ElectroDB index `condition`).
    inFlight: {
      index: 'gsi3',
      condition: ({ state }) => state === 'QUEUED' || state === 'BUILDING',
      pk: key('gsi3pk', ['state'], 'deployment-state#${state}'),
      sk: key('gsi3sk', ['id'], 'deployment#${id}'),
    },
    byProject: {
      index: 'gsi1',
      pk: key('gsi1pk', ['projectId'], 'project#${projectId}'),
      sk: key('gsi1sk', ['createdAt', 'id'], 'deployment#${createdAt}#${id}'),
    },
    byTeam: {
      index: 'gsi2',
      pk: key('gsi2pk', ['teamId'], 'team#${teamId}'),
      sk: key('gsi2sk', ['createdAt', 'id'], 'deployment#${createdAt}#${id}'),
    },
  },
});

export const AliasEntity = new Entity({
  model: { entity: 'alias', version: '1', service: SERVICE },
  attributes: {
    host: { ...str, readOnly: true },
    teamId: { ...str, readOnly: true },
    projectId: { ...str, readOnly: true },
    /** Absent while the host is only reserved (claimed). */
    deploymentId: optStr,
    previousDeploymentId: optStr,
    /** What the edge store holds for the host (`<deploymentId>[ <configKey>]`); absent while reserved. */
    edgeValue: optStr,
    // A host's kind never changes: it decides which index lists the alias.
    kind: { type: ['production', 'branch', 'deployment', 'custom'] as const, required: true, readOnly: true },
    createdAt,
    updatedAt: str,
    version,
  },
  indexes: {
    byHost: { pk: key('pk', ['host'], 'alias#${host}'), sk: key('sk', [], 'alias') },
    // The aliases the API lists; a project's many deployment hosts live in their own partition.
    byProject: {
      index: 'gsi1',
      condition: ({ kind }) => kind !== 'deployment',
      pk: key('gsi1pk', ['projectId'], 'project#${projectId}'),
      sk: key('gsi1sk', ['host'], 'alias#${host}'),
    },
    deploymentHosts: {
      index: 'gsi2',
      condition: ({ kind }) => kind === 'deployment',
      pk: key('gsi2pk', ['projectId'], 'project-hosts#${projectId}'),
      sk: key('gsi2sk', ['host'], 'alias#${host}'),
    },
  },
});

/** A deployment's reference to a shared edge key (a routing config): the key stays while any exists. */
export const EdgeRefEntity = new Entity({
  model: { entity: 'edgeRef', version: '1', service: SERVICE },
  attributes: {
    key: { ...str, readOnly: true },
    deploymentId: { ...str, readOnly: true },
    projectId: str,
    /** The published value, put back if a concurrent cleanup removed the key. */
    value: str,
    createdAt: str,
  },
  indexes: {
    byKey: { pk: key('pk', ['key'], 'edge-key#${key}'), sk: key('sk', ['deploymentId'], 'ref#${deploymentId}') },
  },
});

/** The cleanup queue of deleted projects: one item per project until every host of it is gone. */
export const ProjectDeletionEntity = new Entity({
  model: { entity: 'projectDeletion', version: '1', service: SERVICE },
  attributes: { projectId: str, deletedAt: str },
  indexes: {
    byProject: { pk: key('pk', [], 'project-deletions'), sk: key('sk', ['projectId'], 'project#${projectId}') },
  },
});

/** The build record of a deployment: its capability token's hash and where it runs. */
export const BuildEntity = new Entity({
  model: { entity: 'build', version: '1', service: SERVICE },
  attributes: {
    deploymentId: { ...str, readOnly: true },
    teamId: { ...str, readOnly: true },
    projectId: { ...str, readOnly: true },
    tokenHash: str,
    /** CodeBuild's build id, or the local runner's. */
    buildId: optStr,
    logStream: optStr,
    createdAt,
  },
  indexes: {
    byDeployment: { pk: key('pk', ['deploymentId'], 'build#${deploymentId}'), sk: key('sk', [], 'build') },
  },
});

/** Per-token fixed-window request counter; DynamoDB TTL removes old windows. */
export const RateLimitEntity = new Entity({
  model: { entity: 'rateLimit', version: '1', service: SERVICE },
  attributes: {
    tokenId: str,
    window: str,
    count: { type: 'number' },
    ttl: { type: 'number' },
  },
  indexes: {
    byToken: { pk: key('pk', ['tokenId'], 'rate#${tokenId}'), sk: key('sk', ['window'], 'window#${window}') },
  },
});

/** A custom domain of a project; `records` and `certificate` are what the last DNS check saw. */
export const DomainEntity = new Entity({
  model: { entity: 'domain', version: '1', service: SERVICE },
  attributes: {
    id: { ...str, readOnly: true },
    name: { ...str, readOnly: true },
    teamId: { ...str, readOnly: true },
    projectId: { ...str, readOnly: true },
    gitBranch: optStr,
    redirect: optStr,
    redirectStatusCode: { type: 'number' },
    status: str,
    records: { type: 'any', required: true },
    certificate: { type: 'any' },
    attachmentId: optStr,
    notice: optStr,
    checkedAt: optStr,
    verifiedAt: optStr,
    createdAt,
    updatedAt: str,
  },
  indexes: {
    byProject: { pk: key('pk', ['projectId'], 'project#${projectId}'), sk: key('sk', ['name'], 'domain#${name}') },
    byName: { index: 'gsi1', pk: key('gsi1pk', ['name'], 'domain-name#${name}'), sk: key('gsi1sk', ['projectId'], 'project#${projectId}') },
    // The scheduled check reads every domain; one partition suits thousands of domains.
    all: { index: 'gsi2', pk: key('gsi2pk', [], 'domains'), sk: key('gsi2sk', ['name', 'projectId'], 'domain#${name}#${projectId}') },
  },
});

/** A team's ownership token, the value of its `_runway-challenge` TXT records. */
export const DomainTokenEntity = new Entity({
  model: { entity: 'domainToken', version: '1', service: SERVICE },
  attributes: { teamId: { ...str, readOnly: true }, token: { ...str, readOnly: true }, createdAt },
  indexes: {
    byTeam: { pk: key('pk', ['teamId'], 'team#${teamId}'), sk: key('sk', [], 'domain-token') },
  },
});

const service = new Service({
  domain: DomainEntity,
  domainToken: DomainTokenEntity,
  team: TeamEntity,
  teamName: TeamNameEntity,
  member: MemberEntity,
  token: TokenEntity,
  project: ProjectEntity,
  projectName: ProjectNameEntity,
  env: EnvVarEntity,
  deployment: DeploymentEntity,
  alias: AliasEntity,
  edgeRef: EdgeRefEntity,
  projectDeletion: ProjectDeletionEntity,
  rateLimit: RateLimitEntity,
  build: BuildEntity,
});

/** Key ↔ cursor conversions, to resume a listing right after a given item. */
export const conversions = {
  token: createConversions(TokenEntity),
  project: createConversions(ProjectEntity),
  member: createConversions(MemberEntity),
  deployment: createConversions(DeploymentEntity),
  alias: createConversions(AliasEntity),
};

let wired = false;

/**
 * The service, bound on first use to the table of `config()` and the shared DocumentClient (so
 * importing the model reads no environment).
 */
export function db(): typeof service {
  if (!wired) {
    service.setTableName(config().RUNWAY_TABLE_NAME);
    service.setClient(dynamoClient());
    wired = true;
  }
  return service;
}

/** The entities a write transaction hands its callback. */
type TransactionEntities = Parameters<Parameters<ReturnType<typeof db>['transaction']['write']>[0]>[0];

/**
 * The condition of every write that needs its project: it exists and is not being deleted (a
 * deletion marks it first, so nothing new attaches to a project on its way out).
 */
export function projectAlive(project: TransactionEntities['project'], id: string) {
  return project
    .check({ id })
    .where(({ id: key, deletedAt }, { exists, notExists }) => `${exists(key)} AND ${notExists(deletedAt)}`)
    .commit();
}

export type TeamItem = EntityItem<typeof TeamEntity>;
export type MemberItem = EntityItem<typeof MemberEntity>;
export type TokenItem = EntityItem<typeof TokenEntity>;
export type ProjectItem = EntityItem<typeof ProjectEntity>;
export type EnvVarItem = EntityItem<typeof EnvVarEntity>;
export type DeploymentItem = EntityItem<typeof DeploymentEntity>;
export type AliasItem = EntityItem<typeof AliasEntity>;
export type BuildItem = EntityItem<typeof BuildEntity>;
