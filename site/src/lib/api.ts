/**
 * The console's only way to the API: the bearer token lives in sessionStorage (one tab, gone when
 * it closes) and travels in the Authorization header, never in a URL.
 */
const TOKEN_KEY = 'runway.token';
const TEAM_KEY = 'runway.team';

export interface ConsoleConfig {
  apiUrl: string;
  /** Local edge port: deployment links become `http://<host>:<edgePort>/` (else `https://<host>/`). */
  edgePort?: number;
}

/** An API error with the API's own code and message (`{"error":{"code","message"}}`). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let configPromise: Promise<ConsoleConfig> | undefined;

export function config(): Promise<ConsoleConfig> {
  configPromise ??= fetch('/config.json').then(async (res) => {
    if (!res.ok) throw new ApiError(res.status, 'config_unavailable', 'The console could not load /config.json from its server.');
    return (await res.json()) as ConsoleConfig;
  });
  return configPromise;
}

export const session = {
  token: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  teamName: (): string | null => sessionStorage.getItem(TEAM_KEY),
  signIn(token: string, teamName: string): void {
    sessionStorage.setItem(TOKEN_KEY, token);
    sessionStorage.setItem(TEAM_KEY, teamName);
  },
  signOut(): void {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(TEAM_KEY);
  },
};

/** Sends a request; 2xx answers their JSON body (undefined for 204), everything else throws ApiError. */
export async function api<T>(method: string, path: string, body?: unknown, token = session.token()): Promise<T> {
  const { apiUrl } = await config();
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(apiUrl + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (cause) {
    throw new ApiError(0, 'network_error', `The API at ${apiUrl} did not answer. Check that it is running, then reload.`, { cause });
  }
  const text = await res.text();
  const parsed: unknown = text ? safeJson(text) : undefined;
  if (!res.ok) {
    const error = (parsed as { error?: { code?: string; message?: string; issues?: Array<{ path: string; message: string }> } } | undefined)?.error;
    // Validation errors name each field and what is wrong with it: show that, not just "invalid".
    const issues = error?.issues?.map((i) => (i.path ? `${i.path} ${i.message}` : i.message)).join('; ');
    const message = error?.message ? (issues ? `${error.message}: ${issues}.` : error.message) : `The API answered ${res.status}.`;
    throw new ApiError(res.status, error?.code ?? 'http_error', message, error ?? {});
  }
  return parsed as T;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The page to go to when a request says the token is no longer good. */
export function isSignedOutError(error: unknown): boolean {
  return error instanceof ApiError && error.status === 401;
}

/** A deployment host as a link: the local edge's port when the console runs locally. */
export async function hostUrl(host: string): Promise<string> {
  const { edgePort } = await config();
  return edgePort ? `http://${host}:${edgePort}/` : `https://${host}/`;
}

export const enc = encodeURIComponent;
