import * as z from 'zod';
import { Token } from '#core/auth/index';
import { NotFoundError } from '#core/errors';
import { PageQuery, pageOf, TeamId } from '#core/schemas';
import { AddMemberBody, CreatedTeam, CreateTeamBody, Member, MemberInfo, Principal, Team, TeamInfo, UpdateMemberBody } from '#core/team/index';
import { dynamoDbRepositories } from '#adapters/db/dynamodb/index';
import { wire } from '#lib/context';
import { apiHandler, tokenRoute } from '#lib/api';

const TeamParams = z.strictObject({ teamId: TeamId });
const MemberParams = z.strictObject({ teamId: TeamId, principal: Principal });

/** Object-level authorization: a token only ever sees its own team. */
function ownTeam(teamId: string, callerTeamId: string): void {
  if (teamId !== callerTeamId) throw new NotFoundError('team_not_found', `No team ${teamId}`);
}

/** Teams and their members. A token belongs to one team, so lists hold that team only. */
export const routes = {
  'GET /v1/teams': tokenRoute({
    summary: 'The team of the token',
    responds: { status: 200, body: pageOf(TeamInfo) },
    handler: async ({ auth }) => ({ body: { items: [await Team.get(auth.teamId)], next: null } }),
  }),
  'POST /v1/teams': tokenRoute({
    summary: 'Create a team (owners of a team only; the first team comes from the admin CLI); answers with an owner token for it, shown once',
    // Creating a team hands out an owner token: only someone who already administers a team may.
    access: 'admin',
    body: CreateTeamBody,
    responds: { status: 201, body: CreatedTeam },
    handler: async ({ body }) => {
      const team = await Team.create(body.name);
      const token = await Token.create(team.id, { name: 'owner', role: 'owner' }, 'owner');
      return { status: 201, body: { team, token } };
    },
  }),
  'GET /v1/teams/{teamId}': tokenRoute({
    summary: 'A team',
    params: TeamParams,
    responds: { status: 200, body: TeamInfo },
    handler: async ({ params, auth }) => {
      ownTeam(params.teamId, auth.teamId);
      return { body: await Team.get(params.teamId) };
    },
  }),
  'GET /v1/teams/{teamId}/members': tokenRoute({
    summary: 'Members of the team',
    params: TeamParams,
    query: PageQuery,
    responds: { status: 200, body: pageOf(MemberInfo) },
    handler: async ({ params, query, auth }) => {
      ownTeam(params.teamId, auth.teamId);
      return { body: await Member.list(params.teamId, query) };
    },
  }),
  'POST /v1/teams/{teamId}/members': tokenRoute({
    summary: 'Add a member (owners only)',
    access: 'admin',
    params: TeamParams,
    body: AddMemberBody,
    responds: { status: 201, body: MemberInfo },
    handler: async ({ params, body, auth }) => {
      ownTeam(params.teamId, auth.teamId);
      return { status: 201, body: await Member.add(params.teamId, body) };
    },
  }),
  'PATCH /v1/teams/{teamId}/members/{principal}': tokenRoute({
    summary: "Change a member's role (owners only)",
    access: 'admin',
    params: MemberParams,
    body: UpdateMemberBody,
    responds: { status: 200, body: MemberInfo },
    handler: async ({ params, body, auth }) => {
      ownTeam(params.teamId, auth.teamId);
      return { body: await Member.update(params.teamId, params.principal, body.role) };
    },
  }),
  'DELETE /v1/teams/{teamId}/members/{principal}': tokenRoute({
    summary: 'Remove a member (owners only)',
    access: 'admin',
    params: MemberParams,
    responds: { status: 204 },
    handler: async ({ params, auth }) => {
      ownTeam(params.teamId, auth.teamId);
      await Member.remove(params.teamId, params.principal);
      return { status: 204 };
    },
  }),
};

wire({ ...dynamoDbRepositories });

export const handler = apiHandler(routes);
