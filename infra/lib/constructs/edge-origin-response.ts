import path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, type IVersion } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { esbuildTargetOf, LAMBDA_EDGE_NODE_RUNTIMES, LAMBDA_EDGE_RUNTIME } from '../bundling.ts';
import { acknowledge, acknowledgeArnWildcard } from '../nag.ts';
import { REPO_ROOT } from './runway-function.ts';

/** Re-exported for the runtime tests: the list lives with the other bundling facts (no CDK import there). */
export { LAMBDA_EDGE_NODE_RUNTIMES };

/** The CDK runtime of {@link LAMBDA_EDGE_RUNTIME}. */
const RUNTIME = (() => {
  const runtime = Runtime.ALL.find((r) => r.name === LAMBDA_EDGE_RUNTIME);
  if (!runtime || !LAMBDA_EDGE_NODE_RUNTIMES.includes(runtime.name)) throw new Error(`Lambda@Edge does not list the runtime ${LAMBDA_EDGE_RUNTIME}`);
  return runtime;
})();

export interface EdgeOriginResponseProps {
  /** The artifact bucket; the function reads `d/<deploymentId>/404.html` from it. */
  readonly bucket: IBucket;
  /** Key pattern of the deployment files it may read. */
  readonly deploymentObjects: string;
}

/**
 * The origin-response Lambda@Edge function (functions/src/edge/origin-response-aws.ts): serves a
 * deployment's own 404.html when S3 answers 403/404. Lambda@Edge constraints shape it: it lives in
 * us-east-1 (the edge stack's region), runs x86_64 on a runtime Lambda@Edge lists (see
 * {@link LAMBDA_EDGE_NODE_RUNTIMES}; esbuild's target is derived from it), has no environment
 * variables (the bucket comes from the event's S3 origin) and no active tracing.
 *
 * Its published versions are retained: CloudFront replicates a version to every edge location,
 * and Lambda refuses to delete a replicated version until CloudFront has removed the replicas,
 * "typically within a few hours" after the association is gone
 * (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/lambda-edge-delete-replicas.html).
 * Deleting the old version during a stack update would fail the update, so old versions stay
 * (README, "Update") and the function outlives `cdk destroy` (README, "Uninstall").
 */
export class EdgeOriginResponse extends Construct {
  readonly function: NodejsFunction;
  /** The published version CloudFront associates (Lambda@Edge never runs `$LATEST`). */
  readonly version: IVersion;

  constructor(scope: Construct, id: string, props: EdgeOriginResponseProps) {
    super(scope, id);
    this.function = new NodejsFunction(this, 'Function', {
      description: 'Runway origin-response: a deployment 404.html for missing files',
      entry: path.join(REPO_ROOT, 'functions/src/edge/origin-response-aws.ts'),
      depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
      projectRoot: REPO_ROOT,
      runtime: RUNTIME,
      architecture: Architecture.X86_64,
      memorySize: 256,
      // Origin-facing triggers may run up to 30 s; a 404 page read that takes longer than 5 s has failed.
      timeout: Duration.seconds(5),
      bundling: {
        format: OutputFormat.ESM,
        // As buildOptionsOf() in infra/lib/bundling.ts, which the bundle-size test bundles with.
        target: esbuildTargetOf(RUNTIME.name),
        minify: true,
        sourceMap: false,
        mainFields: ['module', 'main'],
        externalModules: [],
        banner: "import { createRequire } from 'module';const require = createRequire(import.meta.url);",
      },
      currentVersionOptions: { removalPolicy: RemovalPolicy.RETAIN },
    });
    // Replicas keep the function from being deleted for hours after the distribution lets go of it.
    this.function.applyRemovalPolicy(RemovalPolicy.RETAIN);
    // GetObject only: without ListBucket a missing key answers 403, which the handler treats as "no page".
    this.function.addToRolePolicy(
      new PolicyStatement({ actions: ['s3:GetObject'], resources: [props.bucket.arnForObjects(props.deploymentObjects)] }),
    );
    this.version = this.function.currentVersion;

    acknowledge(this.function, [
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: "The AWS-managed minimum for writing the function's own logs in every edge region.",
      },
      {
        id: 'AwsSolutions-L1',
        reason: 'Lambda@Edge accepts only the runtimes its restrictions page lists; Node.js 22 is the newest there (LAMBDA_EDGE_NODE_RUNTIMES).',
      },
    ]);
    acknowledgeArnWildcard(
      this.function,
      props.bucket.bucketArn,
      `/${props.deploymentObjects}`,
      "Reads a deployment's 404.html: d/ holds only immutable deployment files, all of them publicly served.",
    );
  }
}

