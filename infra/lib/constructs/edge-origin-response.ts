import path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, type IVersion } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledge, acknowledgeArnWildcard } from '../nag.ts';
import { REPO_ROOT } from './runway-function.ts';

export interface EdgeOriginResponseProps {
  /** The artifact bucket; the function reads `d/<deploymentId>/404.html` from it. */
  readonly bucket: IBucket;
  /** Key pattern of the deployment files it may read. */
  readonly deploymentObjects: string;
}

/**
 * The origin-response Lambda@Edge function (functions/src/edge/origin-response-aws.ts): serves a
 * deployment's own 404.html when S3 answers 403/404. Lambda@Edge constraints shape it: it lives in
 * us-east-1 (the edge stack's region), runs x86_64, has no environment variables (the bucket comes
 * from the event's S3 origin) and no active tracing.
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
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.X86_64,
      memorySize: 256,
      // Origin-facing triggers may run up to 30 s; a 404 page read that takes longer than 5 s has failed.
      timeout: Duration.seconds(5),
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        minify: true,
        sourceMap: false,
        mainFields: ['module', 'main'],
        externalModules: [],
        banner: "import { createRequire } from 'module';const require = createRequire(import.meta.url);",
      },
    });
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
    ]);
    acknowledgeArnWildcard(
      this.function,
      props.bucket.bucketArn,
      `/${props.deploymentObjects}`,
      "Reads a deployment's 404.html: d/ holds only immutable deployment files, all of them publicly served.",
    );
  }
}

