/**
 * The console's only way to the API: bearer tokens live in sessionStorage (one tab, gone when it
 * closes) and travel in the Authorization header, never in a URL.
 *
 * A token belongs to one team, so a person who works in several teams keeps one token per team:
 * `runway.teams` lists them, `runway.token` is the one in use (what every request sends).
 */
import type { DirectUpload, TeamInfo } from './types.ts';

const TOKEN_KEY = 'runway.token';
const TEAMS_KEY = 'runway.teams';
/** The team that started a GitHub install, so the setup page links it with that team's token. */
const PENDING_INSTALL_KEY = 'runway.pendingInstall';

/** A team this tab is signed in to, with its token. */
export interface TeamSession {
  teamId: string;
  teamName: string;
  token: string;
}

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

function readTeams(): TeamSession[] {
  const parsed = safeJson(sessionStorage.getItem(TEAMS_KEY) ?? '[]');
  if (!Array.isArray(parsed)) return [];
  return parsed.filter((t): t is TeamSession => typeof t?.teamId === 'string' && typeof t?.teamName === 'string' && typeof t?.token === 'string');
}

function writeTeams(teams: TeamSession[], current: TeamSession | undefined): void {
  sessionStorage.setItem(TEAMS_KEY, JSON.stringify(teams));
  if (current) sessionStorage.setItem(TOKEN_KEY, current.token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export const session = {
  /** The token in use, or null when signed out. */
  token: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  /** Every team this tab is signed in to, in the order they were added. */
  teams: readTeams,
  /** The team in use. */
  current(): TeamSession | undefined {
    const token = session.token();
    return readTeams().find((t) => t.token === token);
  },
  /** Keeps a checked token and uses it; a second token of the same team replaces the first. */
  add(team: Pick<TeamInfo, 'id' | 'name'>, token: string): void {
    const entry = { teamId: team.id, teamName: team.name, token };
    const teams = readTeams();
    const at = teams.findIndex((t) => t.teamId === team.id);
    if (at >= 0) teams[at] = entry;
    else teams.push(entry);
    writeTeams(teams, entry);
  },
  /** Uses the token of another team this tab holds; false when it holds none for that team. */
  use(teamId: string): boolean {
    const teams = readTeams();
    const found = teams.find((t) => t.teamId === teamId);
    if (found) writeTeams(teams, found);
    return Boolean(found);
  },
  /** Forgets the token in use (signed out of that team only); the first other team, if any, takes over. */
  forgetCurrent(): TeamSession | undefined {
    const token = session.token();
    const rest = readTeams().filter((t) => t.token !== token);
    writeTeams(rest, rest[0]);
    return rest[0];
  },
  /** Forgets every token of this tab. */
  signOut(): void {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(TEAMS_KEY);
    sessionStorage.removeItem(PENDING_INSTALL_KEY);
  },
  /**
   * Remembers, while the browser is on GitHub, which team is installing the App and where to
   * authorize it afterwards (GitHub's redirects say neither).
   */
  startInstall(teamId: string, authorizeUrl: string): void {
    sessionStorage.setItem(PENDING_INSTALL_KEY, JSON.stringify({ teamId, authorizeUrl }));
  },
  /** The pending install: its team, authorize URL and, once GitHub sent it back, the installation id. */
  pendingInstall(): { teamId: string; authorizeUrl: string; installationId?: number } | undefined {
    try {
      return JSON.parse(sessionStorage.getItem(PENDING_INSTALL_KEY) ?? 'null') ?? undefined;
    } catch {
      return undefined;
    }
  },
  /** Keeps the installation GitHub sent back while the person authorizes the App. */
  rememberInstallation(installationId: number): void {
    const pending = session.pendingInstall();
    if (pending) sessionStorage.setItem(PENDING_INSTALL_KEY, JSON.stringify({ ...pending, installationId }));
  },
  endInstall(): void {
    sessionStorage.removeItem(PENDING_INSTALL_KEY);
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
  if (!res.ok) throw await errorOf(res);
  const text = await res.text();
  return (text ? safeJson(text) : undefined) as T;
}

/**
 * PUTs one file straight to storage at the presigned URL `POST /v1/files/uploads` handed out,
 * with exactly its headers (storage checks the length and the SHA-256 they sign). Bytes never
 * pass through the API, whose requests AWS caps at 6 MB. The token stays here: the URL carries
 * its own short-lived signature.
 */
export async function putDirect(upload: DirectUpload, bytes: Blob): Promise<void> {
  let res: Response;
  try {
    res = await fetch(upload.url, { method: upload.method, headers: upload.headers, body: bytes });
  } catch (cause) {
    throw new ApiError(0, 'network_error', 'The upload to storage did not answer. Check your connection, then deploy again.', { cause });
  }
  if (!res.ok) {
    throw new ApiError(res.status, 'upload_failed', `Storage refused the upload of a file (HTTP ${res.status}). Deploy again; if it keeps failing, the file changed while it was uploading.`);
  }
}

async function errorOf(res: Response): Promise<ApiError> {
  const text = await res.text();
  const parsed: unknown = text ? safeJson(text) : undefined;
  const error = (parsed as { error?: { code?: string; message?: string; issues?: Array<{ path: string; message: string }> } } | undefined)?.error;
  // Validation errors name each field and what is wrong with it: show that, not just "invalid".
  const issues = error?.issues?.map((i) => (i.path ? `${i.path} ${i.message}` : i.message)).join('; ');
  const message = error?.message ? (issues ? `${error.message}: ${issues}.` : error.message) : `The API answered ${res.status}.`;
  return new ApiError(res.status, error?.code ?? 'http_error', message, error ?? {});
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
