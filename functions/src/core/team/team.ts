import { ConflictError, NotFoundError } from '#core/errors';
import { newId } from '#core/ids';
import { db, type TeamItem } from '#adapters/db/dynamodb/model';
import { assertOnlyConditionFailures, rejectedConditions } from '#adapters/db/dynamodb/errors';
import type { TeamInfo } from './schema.ts';

/** Creates a team; names are unique across the installation (a uniqueness item, same transaction). */
export async function create(name: string): Promise<TeamInfo> {
  const item: TeamItem = { id: newId('team'), name, createdAt: new Date().toISOString() };
  const outcome = await db()
    .transaction.write(({ team, teamName }) => [teamName.create({ name, teamId: item.id }).commit(), team.create(item).commit()])
    .go();
  assertOnlyConditionFailures(outcome);
  if (rejectedConditions(outcome).includes(0)) throw new ConflictError('team_name_taken', `A team named "${name}" exists`, { name });
  return toTeam(item);
}

/** @throws NotFoundError `team_not_found` */
export async function get(id: string): Promise<TeamInfo> {
  const { data } = await db().entities.team.get({ id }).go();
  if (!data) throw new NotFoundError('team_not_found', `No team ${id}`);
  return toTeam(data);
}

export async function findByName(name: string): Promise<TeamInfo | undefined> {
  const { data } = await db().entities.teamName.get({ name }).go({ consistent: true });
  return data ? get(data.teamId) : undefined;
}

/** The team of that name, created when missing (the admin CLI's first step). */
export async function ensure(name: string): Promise<{ team: TeamInfo; created: boolean }> {
  const existing = await findByName(name);
  if (existing) return { team: existing, created: false };
  try {
    return { team: await create(name), created: true };
  } catch (error) {
    // Created by someone else between the read and the write.
    if (!(error instanceof ConflictError)) throw error;
    const team = await findByName(name);
    if (!team) throw error;
    return { team, created: false };
  }
}

function toTeam(item: TeamItem): TeamInfo {
  return { id: item.id, name: item.name, createdAt: item.createdAt };
}
