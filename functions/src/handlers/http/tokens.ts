import * as z from 'zod';
import { CreatedToken, CreateTokenBody, Token, TokenInfo } from '#core/auth/index';
import { PageQuery, pageOf, TokenId } from '#core/schemas';
import { dynamoDbRepositories } from '#adapters/db/dynamodb/index';
import { wire } from '#lib/context';
import { apiHandler, tokenRoute } from '#lib/api';

const TokenParams = z.strictObject({ tokenId: TokenId });

/** API tokens of the caller's team: created (secret shown once), listed without secrets, revoked. */
export const routes = {
  'GET /v1/tokens': tokenRoute({
    summary: "The team's tokens, newest first, without secrets",
    query: PageQuery,
    responds: { status: 200, body: pageOf(TokenInfo) },
    handler: async ({ query, auth }) => ({ body: await Token.list(auth.teamId, query) }),
  }),
  'POST /v1/tokens': tokenRoute({
    summary: 'Create a token (owners only); the secret is in this response only',
    access: 'admin',
    body: CreateTokenBody,
    responds: { status: 201, body: CreatedToken },
    handler: async ({ body, auth }) => ({ status: 201, body: await Token.create(auth.teamId, body, auth.role) }),
  }),
  'GET /v1/tokens/{tokenId}': tokenRoute({
    summary: 'A token, without its secret',
    params: TokenParams,
    responds: { status: 200, body: TokenInfo },
    handler: async ({ params, auth }) => ({ body: await Token.get(auth.teamId, params.tokenId) }),
  }),
  'DELETE /v1/tokens/{tokenId}': tokenRoute({
    summary: 'Revoke a token (owners only); it stops working at once',
    access: 'admin',
    params: TokenParams,
    responds: { status: 200, body: TokenInfo },
    handler: async ({ params, auth }) => ({ body: await Token.revoke(auth.teamId, params.tokenId) }),
  }),
};

wire({ ...dynamoDbRepositories });

export const handler = apiHandler(routes);
