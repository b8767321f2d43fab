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

/** Those handlers' functions and the build-state function (a READY build points its hosts). */
function edgeStoreWriters(api: ApiStack, builds: BuildsStack): RunwayFunction[] {
  return [
    ...EDGE_STORE_API_HANDLERS.map((name) => {
      const fn = api.functions[name];
      if (!fn) throw new Error(`No API function "${name}" to grant edge-store writes: update EDGE_STORE_API_HANDLERS`);
      return fn;
    }),
    builds.buildState,
  ];
}

/**
 * The build wiring across stacks (api → builds → state, no cycle): the deployments API starts and
 * stops builds and tells them where the build API is; the build API hands out presigned URLs for
 * the artifact bucket and decrypts the job's env values; the events API reads build logs.
 */
function wireBuilds(api: ApiStack, builds: BuildsStack, state: StateStack): void {
  const fn = (name: string) => {
    const found = api.functions[name];
    if (!found) throw new Error(`No API function "${name}" to wire builds to`);
    return found;
  };
  const deployments = fn('deployments');
  builds.builder.grantStartStop(deployments);
  deployments.addEnvironment('RUNWAY_BUILD_PROJECT', builds.builder.project.projectName);
  deployments.addEnvironment('RUNWAY_API_URL', api.api.apiEndpoint);

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

/**
 * Composes Runway's stacks on an app. Shared by `bin/app.ts` and the CDK tests so both see the
 * same stacks; cdk-nag's AwsSolutions checks are applied to everything.
 */
export function buildRunway(app: App, env?: Environment): RunwayStacks {
  const platformDomain = String(app.node.tryGetContext(PLATFORM_DOMAIN_CONTEXT) ?? 'localhost');
  const state = new StateStack(app, 'RunwayState', { env });
  const api = new ApiStack(app, 'RunwayApi', { env, state, platformDomain });
  const builds = new BuildsStack(app, 'RunwayBuilds', { env, state, platformDomain });
  const edge = new EdgeStack(app, 'RunwayEdge', { env, state, platformDomain });
  const console = new ConsoleStack(app, 'RunwayConsole', { env });
  // Alias writes are mirrored into the edge's KeyValueStore. api/builds → edge → state: no cycle.
  for (const fn of edgeStoreWriters(api, builds)) {
    edge.routing.grantWrite(fn);
    fn.addEnvironment('RUNWAY_EDGE_KVS_ARN', edge.routes.keyValueStoreArn);
  }
  wireBuilds(api, builds, state);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { state, api, builds, edge, console };
}
