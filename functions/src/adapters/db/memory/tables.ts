import type { AliasRecord, EdgeKeyRef } from '#core/alias/repository';
import type { TokenRecord } from '#core/auth/repository';
import type { BuildRecord } from '#core/build/repository';
import type { DeploymentRecord } from '#core/deployment/repository';
import type { DomainRecord } from '#core/domain/repository';
import type { EnvRecord } from '#core/env/repository';
import type { ClaimRecord, GitDeploymentRecord, InstallationRecord, RepositoryRecord } from '#core/github/repository';
import type { ProjectRecord } from '#core/project/repository';
import type { MemberRecord, TeamRecord } from '#core/team/repository';

/**
 * The in-memory twin of the control-plane table: one map per kind of item. The repositories of
 * one `MemoryTables` share it, so conditions across items (an alias write checks its project)
 * hold as they do in DynamoDB's transactions. Records are copied in and out, as a database would.
 */
export class MemoryTables {
  readonly teams = new Map<string, TeamRecord>();
  readonly teamNames = new Map<string, string>();
  readonly members = new Map<string, MemberRecord>();
  readonly tokens = new Map<string, TokenRecord>();
  readonly rateLimits = new Map<string, number>();
  readonly projects = new Map<string, ProjectRecord>();
  readonly projectNames = new Map<string, string>();
  /** Projects marked deleted whose cleanup has not finished, by id. */
  readonly projectDeletions = new Map<string, { projectId: string; deletedAt: string }>();
  readonly env = new Map<string, EnvRecord>();
  readonly deployments = new Map<string, DeploymentRecord>();
  readonly aliases = new Map<string, AliasRecord>();
  /** References to shared edge keys, by `<key>\n<deploymentId>`. */
  readonly edgeRefs = new Map<string, EdgeKeyRef>();
  readonly builds = new Map<string, BuildRecord>();
  readonly installations = new Map<number, InstallationRecord>();
  readonly teamLinks = new Map<string, Set<number>>();
  readonly repositories = new Map<number, Map<number, RepositoryRecord>>();
  readonly claims = new Map<string, ClaimRecord>();
  readonly gitDeployments = new Map<string, GitDeploymentRecord>();
  /** Custom domains by `<projectId>\n<name>`. */
  readonly domains = new Map<string, DomainRecord>();
  readonly domainTokens = new Map<string, string>();
}

/** A copy of a record, so nobody changes what is stored by changing what was read. */
export function copy<T>(record: T): T;
export function copy<T>(record: T | undefined): T | undefined;
export function copy<T>(record: T | undefined): T | undefined {
  return record === undefined ? undefined : structuredClone(record);
}

/** A record with the attributes set to `undefined` removed (DynamoDB stores no such attribute). */
export function compact<T extends object>(record: T): T {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as T;
}

/** What a conditional write on a missing item does in DynamoDB (ElectroDB `patch`): fail. */
export class MissingItemError extends Error {
  override name = 'MissingItemError';
}
