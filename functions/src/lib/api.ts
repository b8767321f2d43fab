import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { allows, RateLimit, Token, type Caller } from '#core/auth/index';
import { ForbiddenError, UnauthorizedError, ValidationError } from '#core/errors';
import { openCursor, sealCursor } from '#lib/cursor';
import { httpHandler, route, type AnyRoute, type RouteDef } from '#lib/http';
import { logger } from '#lib/powertools';

/**
 * The handler of an API module: `httpHandler` with bearer-token authentication, the per-token
 * rate limit, the role check of each route's `access`, and sealed list cursors.
 */
export function apiHandler(routes: Record<string, AnyRoute>) {
  return httpHandler<Caller>(routes, { authenticate, cursors: { seal: sealCursor, open: openCursor } });
}

/** Declares a route that needs a bearer token; the handler gets the `Caller`. */
export function tokenRoute<P = undefined, Q = undefined, B = undefined>(def: Omit<RouteDef<P, Q, B, Caller>, 'auth'>): RouteDef<P, Q, B, Caller> {
  return route<P, Q, B, Caller>({ ...def, auth: 'token' });
}

/**
 * Authenticates `Authorization: Bearer rwy_…`, counts the request against the token's rate limit,
 * then checks the role against the route's access. Runs before the request is parsed, so a viewer
 * or an unknown token learns nothing from validation errors.
 */
async function authenticate(event: APIGatewayProxyEventV2, def: AnyRoute): Promise<Caller> {
  const match = /^Bearer +(\S+)$/i.exec(event.headers?.authorization ?? '');
  if (!match) throw new UnauthorizedError('unauthorized', 'A valid bearer token is required: Authorization: Bearer rwy_…');
  const caller = await Token.authenticate(match[1] as string);
  logger.appendKeys({ teamId: caller.teamId, tokenId: caller.tokenId });
  await RateLimit.consume(caller.tokenId);
  const access = def.access ?? (event.routeKey.startsWith('GET ') ? 'read' : 'write');
  if (!allows(caller.role, access)) {
    throw new ForbiddenError('forbidden', `A ${caller.role} token cannot do this (needs ${access} access)`);
  }
  return caller;
}

/**
 * The version in an `If-Match` header (`"3"`, `W/"3"` or `3`), or undefined without one.
 * @throws ValidationError `invalid_if_match`
 */
export function ifMatchVersion(event: APIGatewayProxyEventV2): number | undefined {
  const header = event.headers?.['if-match'];
  if (header === undefined) return undefined;
  const match = /^(?:W\/)?"?(\d{1,15})"?$/.exec(header.trim());
  if (!match) throw new ValidationError('invalid_if_match', 'If-Match must be the version number from a previous response, e.g. "3"');
  return Number(match[1]);
}

/** Picks the version guard of a write: `If-Match` or the body's `version` (they must agree). */
export function expectedVersion(event: APIGatewayProxyEventV2, bodyVersion: number | undefined): number | undefined {
  const header = ifMatchVersion(event);
  if (header !== undefined && bodyVersion !== undefined && header !== bodyVersion) {
    throw new ValidationError('version_mismatch', 'If-Match and the body\'s version differ');
  }
  return header ?? bodyVersion;
}

/** ETag of a versioned object. */
export const etag = (version: number): Record<string, string> => ({ etag: `"${version}"` });
