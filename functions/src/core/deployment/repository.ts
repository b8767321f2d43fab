import type { Page, PageRequest } from '#core/page';
import type { DeploymentTarget } from '#core/schemas';
import type { DeploymentInfo, DeploymentState } from './schema.ts';

export type DeploymentRecord = DeploymentInfo;

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
export type DeploymentChange = Partial<Pick<DeploymentRecord, 'state' | 'buildingAt' | 'readyAt' | 'erroredAt' | 'canceledAt' | 'errorStep' | 'errorMessage' | 'configKey'>>;

/** Deployment records, by id and newest first per project and per team. */
export interface DeploymentRepository {
  /** Writes a new deployment; an id that exists already is an error. */
  create(deployment: DeploymentRecord): Promise<void>;
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
}
