import {
  CloudFormationClient,
  CreateStackCommand,
  DescribeStacksCommand,
  waitUntilStackCreateComplete,
} from '@aws-sdk/client-cloudformation';
import { PutBucketCorsCommand, S3Client, type CORSRule } from '@aws-sdk/client-s3';
import { App, DefaultStackSynthesizer, RemovalPolicy } from 'aws-cdk-lib';
import { StateStack } from '../infra/lib/stacks/state-stack.ts';
import { STATE_OUTPUTS, type StateEnv } from '../infra/lib/state-outputs.ts';
import { EMULATOR_AWS_ENV } from './emulator.ts';

/** Name of the state stack in the emulator. */
export const LOCAL_STATE_STACK = 'RunwayState';

const credentials = {
  accessKeyId: EMULATOR_AWS_ENV.AWS_ACCESS_KEY_ID,
  secretAccessKey: EMULATOR_AWS_ENV.AWS_SECRET_ACCESS_KEY,
};

/**
 * Creates the state resources in the emulator from the very template the CDK state stack
 * synthesizes (no second list of tables and buckets), and returns the env vars that point the
 * handlers at them. An existing stack of that name is reused.
 */
export async function deployLocalState(endpoint: string, stackName = LOCAL_STATE_STACK): Promise<StateEnv> {
  const cfn = new CloudFormationClient({ endpoint, region: EMULATOR_AWS_ENV.AWS_REGION, credentials });
  const template = synthStateTemplate();
  try {
    let state = await describe(cfn, stackName);
    if (!state) {
      await cfn.send(new CreateStackCommand({ StackName: stackName, TemplateBody: JSON.stringify(template) }));
      await waitUntilStackCreateComplete({ client: cfn, maxWaitTime: 120, minDelay: 1, maxDelay: 2 }, { StackName: stackName });
      state = await describe(cfn, stackName);
      if (!state) throw new Error(`Stack ${stackName} vanished after creation`);
    }
    await applySkippedBucketSettings(endpoint, template, state.RUNWAY_ARTIFACT_BUCKET);
    return state;
  } finally {
    cfn.destroy();
  }
}

/**
 * moto's CloudFormation creates an `AWS::S3::Bucket` without its `CorsConfiguration`; browsers
 * uploading to presigned URLs need it, so it is applied from the same template, through the S3
 * API (idempotent, so a reused emulator gets it too).
 */
async function applySkippedBucketSettings(endpoint: string, template: Record<string, unknown>, bucket: string): Promise<void> {
  const buckets = Object.values(template.Resources as Record<string, { Type: string; Properties?: Record<string, any> }>).filter(
    (r) => r.Type === 'AWS::S3::Bucket' && r.Properties?.CorsConfiguration,
  );
  if (buckets.length !== 1) throw new Error(`Expected the state stack to have one bucket with CORS rules, found ${buckets.length}`);
  const rules: CORSRule[] = buckets[0]!.Properties!.CorsConfiguration.CorsRules.map((r: Record<string, any>) => ({
    AllowedOrigins: r.AllowedOrigins,
    AllowedMethods: r.AllowedMethods,
    AllowedHeaders: r.AllowedHeaders,
    ExposeHeaders: r.ExposedHeaders,
    MaxAgeSeconds: r.MaxAge,
  }));
  const s3 = new S3Client({ endpoint, region: EMULATOR_AWS_ENV.AWS_REGION, credentials, forcePathStyle: true });
  try {
    await s3.send(new PutBucketCorsCommand({ Bucket: bucket, CORSConfiguration: { CORSRules: rules } }));
  } finally {
    s3.destroy();
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
  const cfn = new CloudFormationClient({ endpoint, region: EMULATOR_AWS_ENV.AWS_REGION, credentials });
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
