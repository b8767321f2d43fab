import type { DomainInfo } from './types.ts';

type RedirectStatusCode = NonNullable<DomainInfo['redirectStatusCode']>;

/** Redirect status codes the API accepts, default first; the type check fails if the API's list changes. */
export const REDIRECT_CODE_LIST = [308, 301, 307, 302] as const satisfies readonly RedirectStatusCode[];
type Missing = Exclude<RedirectStatusCode, (typeof REDIRECT_CODE_LIST)[number]>;
export const everyCodeListed: [Missing] extends [never] ? true : never = true;
