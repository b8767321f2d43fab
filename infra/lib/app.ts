import { App, Validations, type Environment } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
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
  const builds = new BuildsStack(app, 'RunwayBuilds', { env, state });
  const edge = new EdgeStack(app, 'RunwayEdge', { env, state, platformDomain });
  const console = new ConsoleStack(app, 'RunwayConsole', { env });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { state, api, builds, edge, console };
}
