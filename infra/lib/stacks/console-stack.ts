import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import {
  Distribution,
  HttpVersion,
  ResponseHeadersPolicy,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { acknowledge } from '../nag.ts';
import type { Construct } from 'constructs';

/** The web console: a private bucket of the static Astro build, served only through CloudFront. */
export class ConsoleStack extends Stack {
  readonly bucket: Bucket;
  readonly distribution: Distribution;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, props);
    this.bucket = new Bucket(this, 'Site', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.distribution = new Distribution(this, 'Cdn', {
      comment: 'Runway console',
      defaultRootObject: 'index.html',
      httpVersion: HttpVersion.HTTP2_AND_3,
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        responseHeadersPolicy: ResponseHeadersPolicy.SECURITY_HEADERS,
      },
      errorResponses: [{ httpStatus: 403, responseHttpStatus: 404, responsePagePath: '/404.html' }],
    });
    new CfnOutput(this, 'ConsoleUrl', { value: `https://${this.distribution.distributionDomainName}` });

    acknowledge(this.bucket, [
      { id: 'AwsSolutions-S1', reason: 'Static console assets; CloudFront standard logs record access.' },
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
