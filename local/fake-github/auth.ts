/** Who a request is: an App JWT (RS256, checked as GitHub does), an installation token or a user access token. */
import { verify as verifySignature, type KeyObject } from 'node:crypto';
import * as z from 'zod';
import type { Access, Permission, Permissions, TokenState, UserTokenState, World } from './world.ts';

/** The credential a request carried and the fake accepted, or why not. */
export type Principal = { kind: 'app' } | { kind: 'installation'; token: TokenState } | { kind: 'user'; user: UserTokenState } | { kind: 'none'; problem: string };

/** GitHub refuses App JWTs that live longer than 10 minutes, and tolerates a minute of clock drift on `iat`. */
const JWT_MAX_LIFETIME_S = 10 * 60;
const CLOCK_SKEW_S = 60;


/** GitHub's own 401 messages for JWT problems: `@octokit/auth-app` recognises the clock ones and retries once with the server's `Date`. */
export const JWT_UNDECODABLE = 'A JSON web token could not be decoded';
const JWT_EXPIRED = "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires";
const JWT_TOO_LONG = "'Expiration time' claim ('exp') is too far in the future";
const JWT_BAD_IAT = "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued";

const JwtHeader = z.object({ alg: z.literal('RS256') });
const JwtClaims = z.object({ iss: z.union([z.number(), z.string()]), iat: z.unknown(), exp: z.unknown() });

/** Checks an App JWT; returns the problem GitHub would report, or undefined when it is good. */
function jwtProblem(jwt: string, publicKey: KeyObject, appId: number): string | undefined {
  const [header, claims, signature, ...rest] = jwt.split('.');
  if (!header || !claims || !signature || rest.length > 0) return JWT_UNDECODABLE;
  const decoded = decodeJson(header, JwtHeader);
  const payload = decodeJson(claims, JwtClaims);
  if (!decoded || !payload) return JWT_UNDECODABLE;
  // RS256 is RSASSA-PKCS1-v1_5 over SHA-256 of `header.claims` — node:crypto's default for an RSA key.
  if (!verifySignature('sha256', Buffer.from(`${header}.${claims}`), publicKey, Buffer.from(signature, 'base64url'))) return JWT_UNDECODABLE;
  if (String(payload.iss) !== String(appId)) return JWT_UNDECODABLE;
  const now = Math.floor(Date.now() / 1000);
  const { iat, exp } = payload;
  if (!Number.isInteger(iat) || (iat as number) > now + CLOCK_SKEW_S) return JWT_BAD_IAT;
  if (typeof exp !== 'number' || exp <= now) return JWT_EXPIRED;
  if (exp > now + JWT_MAX_LIFETIME_S) return JWT_TOO_LONG;
  return undefined;
}

function decodeJson<T extends z.ZodType>(part: string, schema: T): z.infer<T> | undefined {
  try {
    const parsed = schema.safeParse(JSON.parse(Buffer.from(part, 'base64url').toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    // Not JSON: the caller answers "could not be decoded", which is all GitHub says either way.
    return undefined;
  }
}

export function authenticate(world: World, authorization: string | undefined): Principal {
  if (!authorization) return { kind: 'none', problem: 'Requires authentication' };
  const [scheme = '', credential = '', ...rest] = authorization.trim().split(/\s+/);
  if (!['bearer', 'token'].includes(scheme.toLowerCase()) || !credential || rest.length > 0) return { kind: 'none', problem: 'Bad credentials' };
  // Installation tokens (`ghs_…`) have no dots; a JWT has exactly two.
  if (credential.includes('.')) {
    const problem = jwtProblem(credential, world.publicKey, world.appId);
    return problem ? { kind: 'none', problem } : { kind: 'app' };
  }
  const user = world.userTokens.get(credential);
  if (user) return user.expiresAt > Date.now() ? { kind: 'user', user } : { kind: 'none', problem: 'Bad credentials' };
  const token = world.tokens.get(credential);
  if (!token || token.expiresAt <= Date.now() || !world.installations.has(token.installationId)) return { kind: 'none', problem: 'Bad credentials' };
  return { kind: 'installation', token };
}

export function allows(permissions: Permissions, [permission, access]: readonly [Permission, Access]): boolean {
  const granted = permissions[permission];
  return granted === 'write' || (granted === 'read' && access === 'read');
}
