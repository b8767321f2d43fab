import { App, Validations, type Environment } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { RunwayFunction } from './constructs/runway-function.ts';
import { ApiStack } from './stacks/api-stack.ts';
import { BuildsStack } from './stacks/builds-stack.ts';
import { ConsoleStack } from './stacks/console-stack.ts';
import { EdgeStack } from './stacks/edge-stack.ts';
import { StateStack } from './stacks/state-stack.ts';
import { acknowledge, acknowledgeArnWildcard } from './nag.ts';

export interface RunwayStacks {
  readonly state: StateStack;
  readonly api: ApiStack;
  readonly builds: BuildsStack;
  readonly edge: EdgeStack;
  readonly console: ConsoleStack;
}

/** API handlers that write the edge store: alias switches (promote, rollback) and project deletion. */
const EDGE_STORE_API_HANDLERS = ['aliases', 'projects'] as const;

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
  ];
}

/**
 * The build wiring across stacks (api → builds → state, no cycle): the deployments API and the
 * GitHub worker start and stop builds and tell them where the build API is; the build API hands
 * out presigned URLs for the artifact bucket and decrypts the job's env values; the events API
 * reads build logs.
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

  const buildApi = fn('builds');
  for (const prefix of ['blobs', 'manifests', 'cache']) {
    state.artifactBucket.grantReadWrite(buildApi, `${prefix}/*`);
    acknowledgeArnWildcard(buildApi, state.artifactBucket.bucketArn, `/${prefix}/*`, `Presigned URLs of a build's ${prefix} (the URL carries this role's rights, scoped per key by the handler).`);
  }
  state.secretsKey.grantDecrypt(buildApi);
  acknowledge(
    buildApi,
    ['s3:GetBucket*', 's3:GetObject*', 's3:List*', 's3:DeleteObject*', 's3:Abort*'].map((action) => ({
      id: `AwsSolutions-IAM5[Action::${action}]`,
      reason: "grantReadWrite of the build prefixes; the action wildcards are the grant's set (List lets HeadObject tell 404 from 403).",
    })),
  );

  state.buildLogs.grantRead(fn('deployment-events'));
}

/** Context key of the platform domain deployments are served under. */
export const PLATFORM_DOMAIN_CONTEXT = 'runway:platformDomain';
/** Context keys of a GitHub Enterprise Server's REST API (`https://<host>/api/v3`) and web origin. */
export const GITHUB_API_URL_CONTEXT = 'runway:githubApiUrl';
export const GITHUB_WEB_URL_CONTEXT = 'runway:githubWebUrl';

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

/**
 * Where GitHub's "details" links lead: the console (api/builds → console; the console stack
 * references nothing, so no cycle).
 */
function linkConsole(api: ApiStack, builds: BuildsStack, console: ConsoleStack): void {
  const url = `https://${console.distribution.distributionDomainName}`;
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
  const platformDomain = String(app.node.tryGetContext(PLATFORM_DOMAIN_CONTEXT) ?? 'localhost');
  const github = { apiUrl: urlContext(app, GITHUB_API_URL_CONTEXT), webUrl: urlContext(app, GITHUB_WEB_URL_CONTEXT) };
  const state = new StateStack(app, 'RunwayState', { env, github });
  const api = new ApiStack(app, 'RunwayApi', { env, state, platformDomain });
  const builds = new BuildsStack(app, 'RunwayBuilds', { env, state, platformDomain });
  const edge = new EdgeStack(app, 'RunwayEdge', { env, state, platformDomain });
  const console = new ConsoleStack(app, 'RunwayConsole', { env });
  // Alias writes are mirrored into the edge's KeyValueStore. api/builds → edge → state: no cycle.
  for (const fn of edgeStoreWriters(api, builds)) {
    edge.routing.grantWrite(fn);
    fn.addEnvironment('RUNWAY_EDGE_KVS_ARN', edge.routes.keyValueStoreArn);
  }
  // The host sweep also lists the store's keys, to find those nobody owns.
  edge.routing.grantSweep(builds.sweepHosts);
  builds.sweepHosts.addEnvironment('RUNWAY_EDGE_KVS_ARN', edge.routes.keyValueStoreArn);
  wireBuilds(api, builds, state);
  linkConsole(api, builds, console);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { state, api, builds, edge, console };
}
