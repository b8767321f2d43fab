import type { Page, PageRequest } from '#core/page';
import type { ProjectInfo } from './schema.ts';

/** A project as stored: `deletedAt` marks one being deleted (gone for every reader). */
export type ProjectRecord = ProjectInfo & { deletedAt?: string | undefined };

/** Settings a project update may clear. */
export type ClearableSetting = 'gitRepository' | 'framework' | 'rootDirectory' | 'installCommand' | 'buildCommand' | 'outputDirectory';

/** Projects, with names unique within their team. */
export interface ProjectRepository {
  /** Writes the project and its name at once; `false` (nothing written) when the team has a project of that name. */
  create(project: ProjectRecord): Promise<boolean>;
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
  markDeleted(id: string, at: string): Promise<void>;
  /** Deletes the project and its name (nothing else of it). */
  delete(project: Pick<ProjectRecord, 'id' | 'teamId' | 'name'>): Promise<void>;
}
