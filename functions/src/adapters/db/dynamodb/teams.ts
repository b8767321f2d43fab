import type { Page, PageRequest } from '#core/page';
import type { Role } from '#core/schemas';
import type { MemberRecord, MemberRepository, TeamRecord, TeamRepository } from '#core/team/repository';
import { assertOnlyConditionFailures, rejectedConditions, unlessConditionFails } from './errors.ts';
import { conversions, db } from './model.ts';
import { queryPage } from './page.ts';

/** Teams in the control-plane table: `team#<id>`, with a `team-name#<name>` uniqueness item. */
export class DynamoDbTeams implements TeamRepository {
  async create(team: TeamRecord): Promise<boolean> {
    const outcome = await db()
      .transaction.write(({ team: teams, teamName }) => [teamName.create({ name: team.name, teamId: team.id }).commit(), teams.create(team).commit()])
      .go();
    assertOnlyConditionFailures(outcome);
    return !rejectedConditions(outcome).includes(0);
  }

  async get(id: string): Promise<TeamRecord | undefined> {
    const { data } = await db().entities.team.get({ id }).go();
    return data ?? undefined;
  }

  async idByName(name: string): Promise<string | undefined> {
    const { data } = await db().entities.teamName.get({ name }).go({ consistent: true });
    return data?.teamId;
  }
}

/** Members under their team's partition: `team#<teamId>` / `member#<principal>`. */
export class DynamoDbMembers implements MemberRepository {
  async list(teamId: string, page: PageRequest): Promise<Page<MemberRecord>> {
    return queryPage(db().entities.member.query.byTeam({ teamId }), {
      ...page,
      order: 'asc',
      partition: ['pk', `team#${teamId}`],
      toCursor: (m) => conversions.member.byAccessPattern.byTeam.fromComposite.toCursor({ teamId: m.teamId, principal: m.principal }),
    });
  }

  async create(member: MemberRecord): Promise<boolean> {
    return unlessConditionFails(db().entities.member.create(member).go().then(() => true), false);
  }

  async update(teamId: string, principal: string, change: { role: Role; updatedAt: string }): Promise<MemberRecord | undefined> {
    const write = db().entities.member.patch({ teamId, principal }).set(change).go({ response: 'all_new' });
    return unlessConditionFails(write.then(({ data }) => data as MemberRecord), undefined);
  }

  async delete(teamId: string, principal: string): Promise<boolean> {
    const write = db()
      .entities.member.delete({ teamId, principal })
      .where(({ principal: p }, { exists }) => exists(p))
      .go();
    return unlessConditionFails(write.then(() => true), false);
  }
}
