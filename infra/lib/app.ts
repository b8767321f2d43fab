import { App, Validations, type Environment } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { RunwayFunction } from './constructs/runway-function.ts';
import { FUNCTION_RETENTION_CONTEXT } from './constructs/user-functions.ts';
import { ApiStack } from './stacks/api-stack.ts';
import { BuildsStack } from './stacks/builds-stack.ts';
import { ConsoleStack } from './stacks/console-stack.ts';
import { EdgeStack } from './stacks/edge-stack.ts';
import { StateStack } from './stacks/state-stack.ts';

export interface RunwayStacks {
  readonly state: StateStack;
  readonly api: ApiStack;
  readonly builds: BuildsStack;
  readonly edge: EdgeStack;
  readonly console: ConsoleStack;
}

/** API handlers that write the edge store: alias switches (promote, rollback) and project deletion. */
const EDGE_STORE_API_HANDLERS = ['aliases', 'projects', 'domains'] as const;

/**
 * Those handlers' functions, the build-state function (a READY build points its hosts) and the
 * GitHub worker (a deleted branch loses its alias).
 */
function edgeStoreWriters(api: ApiStack, builds: BuildsStack): RunwayFunction[] {
  return [
    ...EDGE_STORE_API_HANDLERS.map((name) => {
      const fn = api.functions[name];
      if (!fn) throw new Error(`No API function "${name}" to grant edge-store writes: update EDGE_STORE_API_HANDLERS`);
      return fn;
    }),
    builds.buildState,
    api.github.worker,
    builds.checkDomains,
  ];
}

/**
 * The build wiring across stacks (api → builds → state, no cycle): the deployments API and the
 * GitHub worker start and stop builds and tell them where the build API is; the events API reads
 * build logs and users' function logs. (The build API's own rights on the artifact bucket and the
 * env-var key are granted with the other handlers', in stacks/api-stack.ts.)
 */
function wireBuilds(api: ApiStack, builds: BuildsStack, state: StateStack): void {
  const fn = (name: string) => {
    const found = api.functions[name];
    if (!found) throw new Error(`No API function "${name}" to wire builds to`);
    return found;
  };
  for (const scheduler of [fn('deployments'), api.github.worker]) {
    builds.builder.grantStartStop(scheduler);
    scheduler.addEnvironment('RUNWAY_BUILD_PROJECT', builds.builder.project.projectName);
    scheduler.addEnvironment('RUNWAY_API_URL', api.api.apiEndpoint);
  }

  state.buildLogs.grantRead(fn('deployment-events'));
  builds.userFunctions.grantReadLogs(fn('deployment-events'));
}

/** Context key of the platform domain deployments are served under. */
export const PLATFORM_DOMAIN_CONTEXT = 'runway:platformDomain';
/** Context key of another URL the console is served at (a custom domain in front of it). */
export const CONSOLE_URL_CONTEXT = 'runway:consoleUrl';
/** Context keys of a Route 53 public hosted zone that validates the certificate and points the names. */
export const HOSTED_ZONE_ID_CONTEXT = 'runway:hostedZoneId';
export const HOSTED_ZONE_NAME_CONTEXT = 'runway:hostedZoneName';
/** Context keys of the build compute: `lambda` (default) or `ec2`, and EC2's build timeout in minutes. */
export const BUILD_COMPUTE_CONTEXT = 'runway:buildCompute';
export const BUILD_TIMEOUT_CONTEXT = 'runway:buildTimeoutMinutes';
/** Context keys of a GitHub Enterprise Server's REST API (`https://<host>/api/v3`) and web origin. */
export const GITHUB_API_URL_CONTEXT = 'runway:githubApiUrl';
export const GITHUB_WEB_URL_CONTEXT = 'runway:githubWebUrl';

/** Days an unreferenced deployment keeps its functions (context `runway:functionRetentionDays`, default 30). */
function functionRetentionDaysOf(app: App): number | undefined {
  const value: unknown = app.node.tryGetContext(FUNCTION_RETENTION_CONTEXT);
  if (value === undefined || value === '') return undefined;
  const days = Number(value);
  if (!Number.isInteger(days) || days < 1 || days > 3650) throw new Error(`Context ${FUNCTION_RETENTION_CONTEXT} must be a whole number of days from 1 to 3650, got ${JSON.stringify(value)}`);
  return days;
}

/** An optional http(s) URL from the CDK context; anything else fails synthesis with the key's name. */
function urlContext(app: App, key: string): string | undefined {
  const value: unknown = app.node.tryGetContext(key);
  if (value === undefined || value === '') return undefined;
  const url = URL.parse(String(value));
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new Error(`Context ${key} must be an http(s) URL, got ${JSON.stringify(value)}`);
  }
  return String(value);
}

/** A DNS name: lowercase labels of a-z, 0-9 and inner "-", dot-separated. */
const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/**
 * The platform domain, fixed per environment. An environment-agnostic synth (tests, `cdk synth`
 * with no credentials) defaults to `localhost`; a synth bound to an account (every `cdk deploy`)
 * refuses to guess: a second deploy that forgot `-c runway:platformDomain=…` would otherwise drop
 * the certificate and the alternate names from the live distribution. Keep it in
 * `cdk.context.json` (README, "Deploy to AWS").
 * @throws Error when missing on an account-bound synth, or not a lowercase DNS name
 */
function platformDomainOf(app: App, env: Environment | undefined): string {
  const value: unknown = app.node.tryGetContext(PLATFORM_DOMAIN_CONTEXT);
  if (value === undefined || value === '') {
    if (env?.account) {
      throw new Error(
        `Context ${PLATFORM_DOMAIN_CONTEXT} is not set for account ${env.account}. Runway does not guess the domain of a live ` +
          `installation: add {"${PLATFORM_DOMAIN_CONTEXT}": "apps.example.com"} to cdk.context.json (or "localhost" for no ` +
          'custom domain) and deploy again; see README, "Deploy to AWS".',
      );
    }
    return 'localhost';
  }
  if (typeof value !== 'string' || !DNS_NAME.test(value)) {
    throw new Error(`Context ${PLATFORM_DOMAIN_CONTEXT} must be a lowercase DNS name such as apps.example.com, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** The optional Route 53 hosted zone (both keys, or neither); the zone must contain the platform domain. */
function hostedZoneOf(app: App, platformDomain: string): { hostedZoneId: string; zoneName: string } | undefined {
  const id: unknown = app.node.tryGetContext(HOSTED_ZONE_ID_CONTEXT);
  if (id === undefined || id === '') return undefined;
  if (typeof id !== 'string' || !/^Z[A-Z0-9]{1,31}$/.test(id)) {
    throw new Error(`Context ${HOSTED_ZONE_ID_CONTEXT} must be a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ, got ${JSON.stringify(id)}`);
  }
  const zoneName = String(app.node.tryGetContext(HOSTED_ZONE_NAME_CONTEXT) ?? platformDomain);
  if (platformDomain !== zoneName && !platformDomain.endsWith(`.${zoneName}`)) {
    throw new Error(`The hosted zone ${zoneName} (${HOSTED_ZONE_NAME_CONTEXT}) does not contain ${PLATFORM_DOMAIN_CONTEXT}=${platformDomain}`);
  }
  return { hostedZoneId: id, zoneName };
}

/** The build compute from the context: Lambda compute unless `ec2` is asked for. */
function buildComputeOf(app: App): { kind: 'lambda' } | { kind: 'ec2'; timeoutMinutes?: number } {
  const kind: unknown = app.node.tryGetContext(BUILD_COMPUTE_CONTEXT) ?? 'lambda';
  if (kind !== 'lambda' && kind !== 'ec2') throw new Error(`Context ${BUILD_COMPUTE_CONTEXT} must be "lambda" or "ec2", got ${JSON.stringify(kind)}`);
  const timeout: unknown = app.node.tryGetContext(BUILD_TIMEOUT_CONTEXT);
  if (kind === 'lambda') {
    if (timeout !== undefined) throw new Error(`Context ${BUILD_TIMEOUT_CONTEXT} applies to ${BUILD_COMPUTE_CONTEXT}=ec2 only: Lambda compute stops every build at 15 minutes`);
    return { kind };
  }
  return timeout === undefined ? { kind } : { kind, timeoutMinutes: Number(timeout) };
}

/**
 * Where GitHub's "details" links lead: the console (api/builds → console; the console stack
 * references nothing, so no cycle).
 */
function linkConsole(api: ApiStack, builds: BuildsStack, console: ConsoleStack, consoleUrl: string | undefined): void {
  const url = consoleUrl ?? console.origin;
  const reporters = [api.functions.deployments, api.github.worker, builds.buildState, builds.sweepStuck];
  for (const fn of reporters) {
    if (!fn) throw new Error('No deployments API function to link the console to');
    fn.addEnvironment('RUNWAY_CONSOLE_URL', url);
  }
}

/**
 * Composes Runway's stacks on an app. Shared by `bin/app.ts` and the CDK tests so both see the
 * same stacks; cdk-nag's AwsSolutions checks are applied to everything.
 */
export function buildRunway(app: App, env?: Environment): RunwayStacks {
  const platformDomain = platformDomainOf(app, env);
  const github = { apiUrl: urlContext(app, GITHUB_API_URL_CONTEXT), webUrl: urlContext(app, GITHUB_WEB_URL_CONTEXT) };
  const consoleUrl = urlContext(app, CONSOLE_URL_CONTEXT);
  const hostedZone = hostedZoneOf(app, platformDomain);
  const state = new StateStack(app, 'RunwayState', { env, github });
  const console = new ConsoleStack(app, 'RunwayConsole', { env });
  const api = new ApiStack(app, 'RunwayApi', { env, state, platformDomain, console, ...(consoleUrl ? { consoleUrl } : {}) });
  const functionRetentionDays = functionRetentionDaysOf(app);
  const builds = new BuildsStack(app, 'RunwayBuilds', { env, state, platformDomain, compute: buildComputeOf(app), ...(functionRetentionDays ? { functionRetentionDays } : {}) });
  const edge = new EdgeStack(app, 'RunwayEdge', { env, state, platformDomain, ...(hostedZone ? { hostedZone } : {}) });
  // Alias writes are mirrored into the edge's KeyValueStore. api/builds → edge → state: no cycle.
  for (const fn of edgeStoreWriters(api, builds)) {
    edge.routing.grantWrite(fn);
    fn.addEnvironment('RUNWAY_EDGE_KVS_ARN', edge.routes.keyValueStoreArn);
  }
  // The host sweep also lists the store's keys, to find those nobody owns.
  edge.routing.grantSweep(builds.sweepHosts);
  builds.sweepHosts.addEnvironment('RUNWAY_EDGE_KVS_ARN', edge.routes.keyValueStoreArn);
  // Custom domains: the domains API and the scheduled check manage distribution tenants.
  for (const fn of [api.functions.domains, builds.checkDomains]) {
    if (!fn) throw new Error('No domains API function');
    edge.customDomains.grantManageTenants(fn);
    for (const [key, value] of Object.entries(edge.customDomains.environment())) fn.addEnvironment(key, value);
  }
  // The stuck sweep also backfills deployment indexes: it reads the hosts the store serves.
  edge.routing.grantRead(builds.sweepStuck);
  builds.sweepStuck.addEnvironment('RUNWAY_EDGE_KVS_ARN', edge.routes.keyValueStoreArn);
  wireBuilds(api, builds, state);
  linkConsole(api, builds, console, consoleUrl);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { state, api, builds, edge, console };
}
