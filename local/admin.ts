import fs from 'node:fs';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { EMULATOR_AWS_ENV, isEmulatorAt } from './emulator.ts';
import { readLocalState } from './state.ts';

/** Directories a push leaves out: dependencies, VCS data and build output, which a .gitignore keeps out of a repository. */
const SKIPPED_DIRS = new Set(['node_modules', '.git', 'dist', 'build', 'out', '_site', '.next', '.astro', '.svelte-kit', '.output', '.vercel', '.runway']);
const FAKE_URL = `http://127.0.0.1:${process.env.RUNWAY_GITHUB_FAKE_PORT || '4003'}`;

const USAGE = `Usage:
  npm run admin -- create-token --team <name> [--role owner|member|viewer] [--name <label>] [--expires <ISO time>] [--json]
  npm run admin -- push --repo <owner/name> --dir <folder> [--branch main] [--message <text>] [--fake <url>]
  npm run admin -- delete-branch --repo <owner/name> --branch <name> [--fake <url>]
  npm run admin -- dns-set --name <domain> --type TXT|CNAME|A|AAAA [--value <v>]... [--state-dir .runway]

create-token creates the team when it does not exist, then an API token of it, and prints the
token's secret once (only its hash is stored). Where it writes:
  - RUNWAY_TABLE_NAME (and the other RUNWAY_* variables) set: that environment, e.g. your AWS
    account with its credentials, or an emulator named by AWS_ENDPOINT_URL;
  - otherwise: the emulator of the running \`npm start\` (AWS_ENDPOINT_URL, else
    localhost:$RUNWAY_EMULATOR_PORT, default 4566).

push and delete-branch act on the fake GitHub of \`npm start\` (--fake, default
${FAKE_URL} from RUNWAY_GITHUB_FAKE_PORT) as a \`git push\` would on GitHub: push commits the
folder's files (without ${[...SKIPPED_DIRS].join(', ')}) as the whole tree of the branch's
next commit, and the fake sends Runway the push webhook, which deploys it when a project is
linked to the repository.

dns-set replaces the records of one name and type in the local DNS zone of \`npm start\`
(<state dir>/dns-zone.json, served on RUNWAY_DNS_PORT), as a DNS host's panel would; without
--value it removes them. Custom domains are checked against this zone: publish the records the
API lists for a domain (TXT _runway-challenge.<domain>, CNAME <domain> edge.runway.localhost).`;

/** The fake's limit for one push request. */
const MAX_PUSH_BYTES = 50 * 1024 * 1024;

const COMMANDS: Record<string, (args: string[]) => Promise<void>> = {
  'create-token': createToken,
  push,
  'delete-branch': deleteBranch,
  'dns-set': dnsSet,
};

async function dnsSet(args: string[]): Promise<void> {
  const values = options(args, {
    name: { type: 'string' },
    type: { type: 'string' },
    value: { type: 'string', multiple: true, default: [] },
    'state-dir': { type: 'string', default: process.env.RUNWAY_STATE_DIR ?? '.runway' },
  });
  if (values.help) return void process.stdout.write(`${USAGE}\n`);
  const type = values.type?.toUpperCase();
  if (!values.name || !(type === 'TXT' || type === 'CNAME' || type === 'A' || type === 'AAAA')) fail(`dns-set needs --name and --type TXT|CNAME|A|AAAA\n\n${USAGE}`);
  const { setInZoneFile } = await import('./dns-server.ts');
  const dir = path.resolve(values['state-dir'] as string);
  fs.mkdirSync(dir, { recursive: true });
  setInZoneFile(path.join(dir, 'dns-zone.json'), values.name, type, values.value as string[]);
  process.stdout.write(`${values.name} ${type} ${(values.value as string[]).join(' ') || '(removed)'}\n`);
}

async function main(): Promise<void> {
  const [command = '', ...args] = process.argv.slice(2);
  if (command === '--help' || command === '-h') return void process.stdout.write(`${USAGE}\n`);
  const run = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (!run) fail(USAGE);
  await run(args);
}

/** The command's options, strictly: an unknown option or a stray argument is a usage error. */
function options<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], spec: T) {
  try {
    return parseArgs({ args, options: { ...spec, help: { type: 'boolean', short: 'h', default: false } } }).values;
  } catch (error) {
    fail(`${(error as Error).message}\n\n${USAGE}`);
  }
}

async function createToken(args: string[]): Promise<void> {
  const values = options(args, {
    team: { type: 'string' },
    role: { type: 'string', default: 'owner' },
    name: { type: 'string', default: 'admin' },
    expires: { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  if (values.help) return void process.stdout.write(`${USAGE}\n`);

  await useEnvironment();
  // Imported only now: the domain code reads its configuration from the environment set above.
  const { Name, Role } = await import('../functions/src/core/schemas.ts');
  const { CreateTokenBody, Token } = await import('../functions/src/core/auth/index.ts');
  const { Team } = await import('../functions/src/core/team/index.ts');
  const { wire } = await import('../functions/src/lib/context.ts');
  const { dynamoDbRepositories } = await import('../functions/src/adapters/db/dynamodb/index.ts');
  wire(dynamoDbRepositories);

  const team = Name.safeParse(values.team);
  if (!team.success) fail(`--team must be a team name (lowercase a-z, 0-9 and "-", ≤ 40 characters)\n\n${USAGE}`);
  const role = Role.safeParse(values.role);
  if (!role.success) fail(`--role must be owner, member or viewer\n\n${USAGE}`);
  const input = CreateTokenBody.safeParse({ name: values.name, role: role.data, ...(values.expires ? { expiresAt: values.expires } : {}) });
  if (!input.success) fail(`Invalid --name or --expires: ${input.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);

  const ensured = await Team.ensure(team.data);
  const created = await Token.create(ensured.team.id, input.data, 'owner');
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ team: ensured.team, teamCreated: ensured.created, token: created.token, secret: created.secret })}\n`);
    return;
  }
  process.stdout.write(
    [
      `Team ${ensured.team.name} (${ensured.team.id}) ${ensured.created ? 'created' : 'exists'}.`,
      `Token ${created.token.id} (${created.token.role}${created.token.expiresAt ? `, expires ${created.token.expiresAt}` : ''}). Its secret is shown this once; store it now:`,
      '',
      `  ${created.secret}`,
      '',
      'Use it as: Authorization: Bearer <secret>',
      '',
    ].join('\n'),
  );
}

async function push(args: string[]): Promise<void> {
  const values = options(args, {
    repo: { type: 'string' },
    dir: { type: 'string' },
    branch: { type: 'string', default: 'main' },
    message: { type: 'string' },
    fake: { type: 'string', default: FAKE_URL },
  });
  if (values.help) return void process.stdout.write(`${USAGE}\n`);
  const repo = repoOption(values.repo);
  if (!values.dir) fail(`--dir is required\n\n${USAGE}`);
  if (!fs.statSync(values.dir, { throwIfNoEntry: false })?.isDirectory()) fail(`--dir ${values.dir} is not a directory`);
  const files = readFolder(path.resolve(values.dir));
  const count = Object.keys(files).length;
  if (count === 0) fail(`${values.dir} has no files to push (${[...SKIPPED_DIRS].join(', ')} are left out)`);
  const body = JSON.stringify({ branch: values.branch, files, ...(values.message ? { message: values.message } : {}) });
  if (Buffer.byteLength(body) > MAX_PUSH_BYTES) fail(`${values.dir} is too large for the fake GitHub: over ${MAX_PUSH_BYTES / 1024 / 1024} MB once encoded`);

  const pushed = await callFake(values.fake, 'POST', `/_fake/repos/${repo.path}/push`, body);
  process.stdout.write(
    [
      `Pushed ${count} file${count === 1 ? '' : 's'} to ${repo.name} ${values.branch}${pushed.created ? ' (a new branch)' : ''}: ${pushed.sha}`,
      nextSteps(repo.name, pushed, 'deploys this commit'),
      '',
    ].join('\n'),
  );
}

async function deleteBranch(args: string[]): Promise<void> {
  const values = options(args, {
    repo: { type: 'string' },
    branch: { type: 'string' },
    fake: { type: 'string', default: FAKE_URL },
  });
  if (values.help) return void process.stdout.write(`${USAGE}\n`);
  const repo = repoOption(values.repo);
  if (!values.branch) fail(`--branch is required\n\n${USAGE}`);
  const branchPath = values.branch.split('/').map(encodeURIComponent).join('/');
  const deleted = await callFake(values.fake, 'DELETE', `/_fake/repos/${repo.path}/branches/${branchPath}`);
  process.stdout.write([`Deleted ${repo.name} ${values.branch} (it was at ${deleted.before}).`, nextSteps(repo.name, deleted, "removes the branch's preview host"), ''].join('\n'));
}

/** `--repo owner/name`, with its URL path; the fake checks the names themselves. */
function repoOption(value: string | undefined): { name: string; path: string } {
  const parts = value?.split('/') ?? [];
  if (!value || parts.length !== 2 || parts.some((part) => !part)) fail(`--repo must be owner/name, e.g. octo-org/hello-static\n\n${USAGE}`);
  return { name: value, path: parts.map(encodeURIComponent).join('/') };
}

/** What Runway does with the webhook, which the fake sends after answering. */
function nextSteps(repo: string, answer: FakeAnswer, effect: string): string {
  if (answer.deliveryId === null) return 'The fake GitHub sends no webhooks (it was started without a webhook URL): Runway does not hear of this.';
  if (answer.installationId === null) {
    return `No installation of the GitHub App holds ${repo}, so Runway ignores this push. The fake's install page puts it into the next installation: in the console, Import Git repository → Connect GitHub, then import ${repo}.`;
  }
  const consoleUrl = `http://localhost:${process.env.RUNWAY_CONSOLE_PORT || '4002'}`;
  return `Runway ${effect} for every project linked to ${repo}: watch it in the console, ${consoleUrl}.`;
}

interface FakeAnswer {
  sha?: string;
  before?: string;
  created?: boolean;
  installationId: number | null;
  deliveryId: string | null;
}

/** One request to the fake GitHub's control API; fails with its explanation unless it is a 2xx. */
async function callFake(base: string, method: string, pathname: string, body?: string): Promise<FakeAnswer> {
  const url = `${base.replace(/\/+$/, '')}${pathname}`;
  let response: Response;
  try {
    response = await fetch(url, { method, ...(body ? { body, headers: { 'content-type': 'application/json' } } : {}) });
  } catch (error) {
    const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
    fail(`No fake GitHub answers at ${base} (${cause?.code ?? cause?.message ?? (error as Error).message}): is npm start running with the fake GitHub? With a real App in .env.github, push with git instead.`);
  }
  const text = await response.text();
  let answer: Record<string, unknown> | undefined;
  try {
    answer = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // Not the fake (or not JSON): the status and text below say what answered.
    answer = undefined;
  }
  if (!response.ok) {
    const errors = Array.isArray(answer?.errors) ? answer.errors.map((e: { field?: string; message?: string }) => `\n  ${e.field}: ${e.message}`).join('') : '';
    fail(`The fake GitHub at ${base} refused: ${response.status} ${typeof answer?.message === 'string' ? answer.message : text.slice(0, 200)}${errors}`);
  }
  return answer as unknown as FakeAnswer;
}

/** The folder's files as the fake's push takes them: UTF-8 text as is, anything else base64. */
function readFolder(dir: string, prefix = ''): Record<string, string | { base64: string }> {
  const files = new Map<string, string | { base64: string }>();
  for (const entry of fs.readdirSync(path.join(dir, prefix), { withFileTypes: true })) {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    // Symbolic links are neither followed nor pushed: a link could reach outside the folder.
    if (entry.isDirectory() && !SKIPPED_DIRS.has(entry.name)) for (const [file, content] of Object.entries(readFolder(dir, relative))) files.set(file, content);
    else if (entry.isFile()) files.set(relative, encode(fs.readFileSync(path.join(dir, relative))));
  }
  // fromEntries defines properties: a file named __proto__ stays a file.
  return Object.fromEntries(files);
}

/** `ignoreBOM` keeps a byte-order mark in the text, so the commit has the file's exact bytes. */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function encode(bytes: Buffer): string | { base64: string } {
  try {
    return utf8.decode(bytes);
  } catch {
    // Not UTF-8 (an image, a font…): sent as bytes.
    return { base64: bytes.toString('base64') };
  }
}

/** Points the domain code at the configured environment, or at the running `npm start` emulator. */
async function useEnvironment(): Promise<void> {
  if (process.env.RUNWAY_TABLE_NAME) return;
  const endpoint = process.env.AWS_ENDPOINT_URL || `http://localhost:${process.env.RUNWAY_EMULATOR_PORT || '4566'}`;
  const port = Number(new URL(endpoint).port);
  if (!(await isEmulatorAt(port))) {
    fail(`No emulator answers at ${endpoint}. Start Runway with \`npm start\` first, or set RUNWAY_TABLE_NAME and the other RUNWAY_* variables to use AWS.`);
  }
  const state = await readLocalState(endpoint);
  if (!state) fail(`The emulator at ${endpoint} has no Runway state stack yet: is \`npm start\` still starting?`);
  Object.assign(process.env, EMULATOR_AWS_ENV, state, {
    AWS_ENDPOINT_URL: endpoint,
    RUNWAY_PLATFORM_DOMAIN: process.env.RUNWAY_PLATFORM_DOMAIN || 'localhost',
    RUNWAY_S3_FORCE_PATH_STYLE: 'true',
    POWERTOOLS_TRACE_ENABLED: 'false',
  });
}

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

main().catch((error) => {
  process.stderr.write(`admin: ${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
