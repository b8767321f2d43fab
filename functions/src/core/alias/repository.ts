import type { Page, PageRequest } from '#core/page';
import type { AliasInfo } from './schema.ts';

/** An alias as stored: `edgeValue` is what the edge store holds for its host. */
export type AliasRecord = AliasInfo & { edgeValue: string };

export type AliasWriteOutcome = 'written' | 'project_gone' | 'version_conflict';

/** Hosts → deployments: the single source of truth of routing (the edge store mirrors it). */
export interface AliasRepository {
  /** Strongly consistent. */
  get(host: string): Promise<AliasRecord | undefined>;
  /** The project's aliases by host. @throws ValidationError `invalid_cursor` */
  list(projectId: string, page: PageRequest): Promise<Page<AliasRecord>>;
  /** Every alias of the project. */
  allOfProject(projectId: string): Promise<AliasRecord[]>;
  /**
   * The one alias write, atomic with its conditions: its project exists and is not being deleted,
   * and the stored alias has `expectedVersion` (0: no alias of that host yet). `alias` carries
   * version `expectedVersion + 1`; an existing alias keeps its `createdAt`, team and project.
   */
  write(alias: AliasRecord, expectedVersion: number): Promise<AliasWriteOutcome>;
  delete(host: string): Promise<void>;
}
