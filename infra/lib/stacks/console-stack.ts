import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import {
  Distribution,
  FunctionEventType,
  HttpVersion,
  ResponseHeadersPolicy,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { CloudFrontJsFunction } from '../constructs/cloudfront-js-function.ts';
import { EDGE_FUNCTION_SOURCES } from '../constructs/edge-routing.ts';
import { acknowledge } from '../nag.ts';
import type { Construct } from 'constructs';

/**
 * The web console: a private bucket of the static Astro build, served only through CloudFront.
 * The files themselves are published by `ConsoleSite` in the API stack (their `config.json` names
 * the API), so this stack references nothing and every other stack may reference it.
 */
export class ConsoleStack extends Stack {
  readonly bucket: Bucket;
  readonly distribution: Distribution;
  /** The console's origin, `https://<distribution domain>` (the API's CORS allows it). */
  readonly origin: string;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, props);
    this.bucket = new Bucket(this, 'Site', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // Only build output lives here: `cdk destroy` empties the bucket (a Lambda-backed custom
      // resource) so that CloudFormation can delete it.
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: true,
    });
    // CloudFront's default root object applies to "/" only, not to sub-directories
    // (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DefaultRootObject.html#DefaultRootObjectHow),
    // and S3 behind OAC answers 403 for "project/": the function maps directory paths to index.html.
    const directoryIndex = new CloudFrontJsFunction(this, 'ConsoleRequest', {
      comment: 'Runway console: directory paths to their index.html',
      sourcePath: EDGE_FUNCTION_SOURCES.consoleRequest,
    });
    this.distribution = new Distribution(this, 'Cdn', {
      comment: 'Runway console',
      defaultRootObject: 'index.html',
      httpVersion: HttpVersion.HTTP2_AND_3,
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        responseHeadersPolicy: ResponseHeadersPolicy.SECURITY_HEADERS,
        functionAssociations: [{ function: directoryIndex, eventType: FunctionEventType.VIEWER_REQUEST }],
      },
      // S3 behind OAC (no s3:ListBucket) answers 403 for a key that does not exist.
      errorResponses: [{ httpStatus: 403, responseHttpStatus: 404, responsePagePath: '/404.html' }],
    });
    this.origin = `https://${this.distribution.distributionDomainName}`;
    new CfnOutput(this, 'ConsoleUrl', { value: this.origin });

    acknowledge(this.bucket, [
      { id: 'AwsSolutions-S1', reason: 'Static console assets; CloudFront standard logs record access.' },
    ]);
    const autoDelete = this.node.children.find((c) => c.node.id.startsWith('Custom::S3AutoDeleteObjects'));
    if (!autoDelete) throw new Error('autoDeleteObjects created no provider at the stack root');
    acknowledge(autoDelete, [
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: "CDK's autoDeleteObjects handler (empties the console bucket on destroy): the AWS-managed minimum for its own logs.",
      },
      { id: 'AwsSolutions-L1', reason: "CDK's autoDeleteObjects handler runtime is chosen and updated by aws-cdk-lib." },
    ]);
    acknowledge(this.distribution, [
      {
        id: 'AwsSolutions-CFR1',
        reason: 'The console is a public sign-in page for the team; access is controlled by API tokens, not geography.',
      },
      { id: 'AwsSolutions-CFR2', reason: 'No WAF by default to keep an idle install at cents; teams can attach a web ACL.' },
      { id: 'AwsSolutions-CFR3', reason: 'Access logging needs an ACL-enabled log bucket; left to the operator to enable.' },
      {
        id: 'AwsSolutions-CFR4',
        reason: 'The default CloudFront domain certificate is used until the operator adds a custom domain;',
      },
    ]);
  }
}
