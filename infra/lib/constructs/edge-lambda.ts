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

export interface EdgeLambdaProps {
  /** Source file of the handler, relative to the repository root. */
  readonly entry: string;
  readonly description: string;
  /**
   * The artifact bucket and the key pattern the function may `GetObject` (nothing else of the
   * bucket); omitted: no bucket access.
   */
  readonly reads?: { readonly bucket: IBucket; readonly objects: string; readonly why: string };
  /** @default 128 */
  readonly memorySize?: number;
  /** @default 5 s */
  readonly timeout?: Duration;
}

/**
 * A Lambda@Edge function (origin-request router, origin-response headers). Lambda@Edge
 * constraints shape it: it lives in us-east-1 (the edge stack's region), runs x86_64 on a runtime
 * Lambda@Edge lists (see {@link LAMBDA_EDGE_NODE_RUNTIMES}; esbuild's target is derived from it),
 * has no environment variables (the bucket comes from the event's S3 origin) and no active tracing
 * ("Lambda@Edge restrictions": https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/edge-functions-restrictions.html).
 *
 * Its published versions are retained: CloudFront replicates a version to every edge location,
 * and Lambda refuses to delete a replicated version until CloudFront has removed the replicas,
 * "typically within a few hours" after the association is gone
 * (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/lambda-edge-delete-replicas.html).
 * Deleting the old version during a stack update would fail the update, so old versions stay
 * (README, "Update") and the function outlives `cdk destroy` (README, "Uninstall").
 */
export class EdgeLambda extends Construct {
  readonly function: NodejsFunction;
  /** The published version CloudFront associates (Lambda@Edge never runs `$LATEST`). */
  readonly version: IVersion;

  constructor(scope: Construct, id: string, props: EdgeLambdaProps) {
    super(scope, id);
    this.function = new NodejsFunction(this, 'Function', {
      description: props.description,
      entry: path.join(REPO_ROOT, props.entry),
      depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
      projectRoot: REPO_ROOT,
      runtime: RUNTIME,
      architecture: Architecture.X86_64,
      memorySize: props.memorySize ?? 128,
      // Origin-facing triggers may run up to 30 s (same restrictions page); ours answer in milliseconds.
      timeout: props.timeout ?? Duration.seconds(5),
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
    if (props.reads) {
      // GetObject only: without ListBucket a missing key answers 403, which the handler treats as "none".
      this.function.addToRolePolicy(new PolicyStatement({ actions: ['s3:GetObject'], resources: [props.reads.bucket.arnForObjects(props.reads.objects)] }));
      acknowledgeArnWildcard(this.function, props.reads.bucket.bucketArn, `/${props.reads.objects}`, props.reads.why);
    }
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
  }
}

