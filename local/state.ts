import {
  CloudFormationClient,
  CreateStackCommand,
  DescribeStacksCommand,
  waitUntilStackCreateComplete,
} from '@aws-sdk/client-cloudformation';
import { App, DefaultStackSynthesizer, RemovalPolicy } from 'aws-cdk-lib';
import { StateStack } from '../infra/lib/stacks/state-stack.ts';
import { STATE_OUTPUTS, type StateEnv } from '../infra/lib/state-outputs.ts';
import { EMULATOR_AWS_ENV } from './emulator.ts';

/** Name of the state stack in the emulator. */
export const LOCAL_STATE_STACK = 'RunwayState';

/**
 * Creates the state resources in the emulator from the very template the CDK state stack
 * synthesizes (no second list of tables and buckets), and returns the env vars that point the
 * handlers at them. An existing stack of that name is reused.
 */
export async function deployLocalState(endpoint: string, stackName = LOCAL_STATE_STACK): Promise<StateEnv> {
  const cfn = new CloudFormationClient({ endpoint, region: EMULATOR_AWS_ENV.AWS_REGION, credentials: {
    accessKeyId: EMULATOR_AWS_ENV.AWS_ACCESS_KEY_ID,
    secretAccessKey: EMULATOR_AWS_ENV.AWS_SECRET_ACCESS_KEY,
  } });
  try {
    const existing = await describe(cfn, stackName);
    if (existing) return existing;
    await cfn.send(new CreateStackCommand({ StackName: stackName, TemplateBody: JSON.stringify(synthStateTemplate()) }));
    await waitUntilStackCreateComplete({ client: cfn, maxWaitTime: 120, minDelay: 1, maxDelay: 2 }, { StackName: stackName });
    const created = await describe(cfn, stackName);
    if (!created) throw new Error(`Stack ${stackName} vanished after creation`);
    return created;
  } finally {
    cfn.destroy();
  }
}

/** The state stack's template, synthesized in memory. Local copies are disposable, hence DESTROY. */
export function synthStateTemplate(): Record<string, unknown> {
  const app = new App({ context: { '@aws-cdk/core:defaultCrossStackReferences': 'strong' } });
  const stack = new StateStack(app, LOCAL_STATE_STACK, {
    removalPolicy: RemovalPolicy.DESTROY,
    // No bootstrap in the emulator, so no bootstrap-version rule.
    synthesizer: new DefaultStackSynthesizer({ generateBootstrapVersionRule: false }),
  });
  return app.synth().getStackByName(stack.stackName).template as Record<string, unknown>;
}

/**
 * The state stack's outputs as env vars, read from an emulator that already has the stack (the
 * one `npm start` runs); `undefined` when the stack is not there.
 */
export async function readLocalState(endpoint: string, stackName = LOCAL_STATE_STACK): Promise<StateEnv | undefined> {
  const cfn = new CloudFormationClient({ endpoint, region: EMULATOR_AWS_ENV.AWS_REGION, credentials: {
    accessKeyId: EMULATOR_AWS_ENV.AWS_ACCESS_KEY_ID,
    secretAccessKey: EMULATOR_AWS_ENV.AWS_SECRET_ACCESS_KEY,
  } });
  try {
    return await describe(cfn, stackName);
  } finally {
    cfn.destroy();
  }
}

async function describe(cfn: CloudFormationClient, stackName: string): Promise<StateEnv | undefined> {
  let stacks;
  try {
    ({ Stacks: stacks } = await cfn.send(new DescribeStacksCommand({ StackName: stackName })));
  } catch (error) {
    if ((error as Error).name === 'ValidationError') return undefined; // "Stack does not exist"
    throw error;
  }
  const stack = stacks?.[0];
  if (!stack || stack.StackStatus !== 'CREATE_COMPLETE') return undefined;
  const outputs = new Map((stack.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
  const env = {} as StateEnv;
  for (const [name, key] of Object.entries(STATE_OUTPUTS) as Array<[keyof StateEnv, string]>) {
    const value = outputs.get(key);
    if (!value) throw new Error(`Stack ${stackName} has no output ${key}`);
    env[name] = value;
  }
  return env;
}
