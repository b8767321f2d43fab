import { parseArgs } from 'node:util';
import { EMULATOR_AWS_ENV, isEmulatorAt } from './emulator.ts';
import { readLocalState } from './state.ts';

const USAGE = `Usage: npm run admin -- create-token --team <name> [--role owner|member|viewer] [--name <label>] [--expires <ISO time>] [--json]

Creates the team when it does not exist, then an API token of it, and prints the token's secret
once (only its hash is stored). Where it writes:
  - RUNWAY_TABLE_NAME (and the other RUNWAY_* variables) set: that environment, e.g. your AWS
    account with its credentials, or an emulator named by AWS_ENDPOINT_URL;
  - otherwise: the emulator of the running \`npm start\` (AWS_ENDPOINT_URL, else
    localhost:$RUNWAY_EMULATOR_PORT, default 4566).`;

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      team: { type: 'string' },
      role: { type: 'string', default: 'owner' },
      name: { type: 'string', default: 'admin' },
      expires: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return void process.stdout.write(`${USAGE}\n`);
  if (positionals[0] !== 'create-token' || positionals.length !== 1) fail(USAGE);

  await useEnvironment();
  // Imported only now: the domain code reads its configuration from the environment set above.
  const { Name, Role } = await import('../functions/src/core/schemas.ts');
  const { CreateTokenBody, Token } = await import('../functions/src/core/auth/index.ts');
  const { Team } = await import('../functions/src/core/team/index.ts');

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
