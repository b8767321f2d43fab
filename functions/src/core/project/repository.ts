import type { AliasRecord } from '#core/alias/repository';
import type { Page, PageRequest } from '#core/page';
import type { ProjectInfo } from './schema.ts';

/** A project as stored: `deletedAt` marks one being deleted (gone for every reader). */
export type ProjectRecord = ProjectInfo & { deletedAt?: string | undefined };

/** Settings a project update may clear. */
export type ClearableSetting = 'gitRepository' | 'framework' | 'rootDirectory' | 'installCommand' | 'buildCommand' | 'outputDirectory';

export type ProjectCreateOutcome = 'created' | 'name_taken' | 'host_taken';

/** Projects, with names unique within their team; the production host makes them unique platform-wide. */
export interface ProjectRepository {
  /**
   * Writes the project, its name in the team and the claim of its production host (an alias
   * record nobody holds yet) at once, or nothing: `name_taken` when the team has a project of that
   * name, `host_taken` when the host has an owner already.
   */
  create(project: ProjectRecord, productionHost: AliasRecord): Promise<ProjectCreateOutcome>;
  /** Strongly consistent; includes projects being deleted. */
  get(id: string): Promise<ProjectRecord | undefined>;
  idByName(teamId: string, name: string): Promise<string | undefined>;
  /** The team's projects not being deleted, by name. @throws ValidationError `invalid_cursor` */
  list(teamId: string, page: PageRequest): Promise<Page<ProjectRecord>>;
  /**
   * Sets and clears fields and bumps `version`, only while the version is `expectedVersion` and
   * the project is not being deleted.
   * @returns the project after the change, or `undefined` when the condition failed
   */
  update(id: string, change: { set: Partial<ProjectRecord>; clear: ClearableSetting[] }, expectedVersion: number): Promise<ProjectRecord | undefined>;
  /** Marks the project deleted and queues it for cleanup ({@link deleting}), at once. */
  markDeleted(project: Pick<ProjectRecord, 'id' | 'teamId' | 'name'>, at: string): Promise<void>;
  /** Projects marked deleted whose cleanup has not finished, at most `limit`. */
  deleting(limit: number): Promise<ProjectRecord[]>;
  /** Deletes the project, its name and its cleanup mark (nothing else of it). */
  delete(project: Pick<ProjectRecord, 'id' | 'teamId' | 'name'>): Promise<void>;
}
