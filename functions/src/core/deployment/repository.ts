import type { AliasRecord } from '#core/alias/repository';
import type { Page, PageRequest } from '#core/page';
import type { DeploymentTarget } from '#core/schemas';
import type { DeploymentInfo, DeploymentState } from './schema.ts';

/**
 * A deployment as stored. `edgeKeys`: the edge keys besides its hosts it published (its routing
 * config `c:<key>`, and whatever the edge stores per deployment next); its hosts are alias
 * records. Cleanup follows these two lists, never the format of the values.
 */
export type DeploymentRecord = Omit<DeploymentInfo, 'functions'> & {
  edgeKeys?: string[] | undefined;
  /** Its functions, written by finalize; absent on deployments without any (and those made before functions). */
  functions?: DeploymentInfo['functions'] | undefined;
};

export interface DeploymentScope {
  teamId: string;
  /** A project's deployments; without it, the whole team's. */
  projectId?: string | undefined;
}

export interface DeploymentFilter {
  target?: DeploymentTarget | undefined;
  state?: DeploymentState | undefined;
  branch?: string | undefined;
}

/** Fields a state change writes besides the state itself. */
export type DeploymentChange = Partial<
  Pick<DeploymentRecord, 'state' | 'buildingAt' | 'readyAt' | 'erroredAt' | 'canceledAt' | 'errorStep' | 'errorMessage' | 'configKey' | 'aliasError' | 'edgeKeys' | 'functions'>
>;

export type DeploymentCreateOutcome = 'created' | 'host_taken' | 'project_gone';

/** Deployment records, by id and newest first per project and per team. */
export interface DeploymentRepository {
  /**
   * Writes a new deployment; an id that exists already is an error. With `host`, the claim of the
   * deployment's own host is written at once, conditional on the host having no owner yet and on
   * the project existing and not being deleted; otherwise nothing is written.
   */
  create(deployment: DeploymentRecord, host?: AliasRecord): Promise<DeploymentCreateOutcome>;
  /** Strongly consistent. */
  get(id: string): Promise<DeploymentRecord | undefined>;
  /**
   * Newest first. A page costs the same at any depth; with a filter a page may come back short:
   * follow `next` until it is null.
   * @throws ValidationError `invalid_cursor` for a cursor that is not of this list
   */
  list(scope: DeploymentScope, filter: DeploymentFilter, page: PageRequest): Promise<Page<DeploymentRecord>>;
  /** The cursor that resumes the scope's newest-first listing right after `deployment`. */
  cursorAfter(deployment: DeploymentRecord, scope: 'project' | 'team'): string;
  /**
   * Applies `change` and bumps `version`, only if the deployment's state is one of `ifStateIn`
   * right now: one conditional write, so of two racing callers exactly one wins.
   * @returns the deployment after the write, or `undefined` when the condition failed (or it does not exist)
   */
  update(id: string, change: DeploymentChange, ifStateIn: readonly DeploymentState[]): Promise<DeploymentRecord | undefined>;
  /**
   * Every deployment in `state` (QUEUED or BUILDING) across the platform: a sparse index holds
   * only deployments in flight, so this reads as many items as are building now, never the history.
   */
  inFlight(state: 'QUEUED' | 'BUILDING'): Promise<DeploymentRecord[]>;
}
