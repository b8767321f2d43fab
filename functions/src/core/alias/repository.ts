import type { Page, PageRequest } from '#core/page';
import type { AliasInfo } from './schema.ts';

/** An alias as stored: `edgeValue` is what the edge store holds for its host (none while only reserved). */
export type AliasRecord = AliasInfo & { edgeValue?: string | undefined };

export type AliasWriteOutcome = 'written' | 'project_gone' | 'version_conflict';

/** What a claim found: the host is now the project's, someone holds it already, or the project is gone. */
export type ClaimOutcome = 'claimed' | 'taken' | 'project_gone';

/**
 * Hosts → owners and deployments: the single source of truth of routing (the edge store mirrors
 * it) and of who owns each host, platform-wide. One record per host, whatever its kind.
 */
export interface AliasRepository {
  /** Strongly consistent. */
  get(host: string): Promise<AliasRecord | undefined>;
  /** The project's production, branch and custom aliases by host (not its deployment hosts). @throws ValidationError `invalid_cursor` */
  list(projectId: string, page: PageRequest): Promise<Page<AliasRecord>>;
  /** Every host the project owns, deployment hosts included (eventually consistent: an index). */
  allOfProject(projectId: string): Promise<AliasRecord[]>;
  /**
   * Creates the record of a host nobody owns yet (`alias.version` 1, usually without a
   * deployment), atomic with "its project exists and is not being deleted".
   * @returns `taken` when the host has a record already (the caller reads whose), nothing written
   */
  claim(alias: AliasRecord): Promise<ClaimOutcome>;
  /**
   * The one alias write, atomic with its conditions: its project exists and is not being deleted,
   * and the stored alias has `expectedVersion` (0: no alias of that host yet) and the same project.
   * `alias` carries version `expectedVersion + 1`; an existing alias keeps its `createdAt`, team,
   * project and kind.
   */
  write(alias: AliasRecord, expectedVersion: number): Promise<AliasWriteOutcome>;
  delete(host: string): Promise<void>;
}

/** A deployment's reference to an edge key it published besides its hosts (a routing config `c:<key>`). */
export interface EdgeKeyRef {
  key: string;
  deploymentId: string;
  projectId: string;
  /** The value the deployment published, to put back if a concurrent cleanup removed it. */
  value: string;
  createdAt: string;
}

/**
 * Owners of the edge keys that are not hosts. Such keys may be shared (a routing config is keyed
 * by its content), so a key stays in the edge store while any deployment refers to it.
 */
export interface EdgeKeyRepository {
  /** Records the reference (repeating it is no error). */
  add(ref: EdgeKeyRef): Promise<void>;
  remove(key: string, deploymentId: string): Promise<void>;
  /** Any one reference to the key (strongly consistent), or `undefined` when nobody refers to it. */
  anyRef(key: string): Promise<EdgeKeyRef | undefined>;
}
