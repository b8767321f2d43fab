import { Annotations, Aws, Duration } from 'aws-cdk-lib';
import type { ICertificate } from 'aws-cdk-lib/aws-certificatemanager';
import {
  AccessLevel,
  AllowedMethods,
  CachedMethods,
  CfnDistribution,
  CacheCookieBehavior,
  CacheHeaderBehavior,
  CachePolicy,
  CacheQueryStringBehavior,
  Distribution,
  FunctionEventType,
  HttpVersion,
  LambdaEdgeEventType,
  OriginRequestPolicy,
  SecurityPolicyProtocol,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IVersion } from 'aws-cdk-lib/aws-lambda';
import { Bucket, type IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { EdgeRouting } from './edge-routing.ts';

export interface EdgeDistributionProps {
  /** The artifact bucket (of the state stack). */
  readonly bucket: IBucket;
  /** Key pattern CloudFront may read: the content-addressed blobs the router names. */
  readonly servedObjects: string;
  readonly routing: EdgeRouting;
  /** The origin-request Lambda@Edge version (the router). */
  readonly originRequest: IVersion;
  /** The origin-response Lambda@Edge version (the router's status and headers on S3's answer). */
  readonly originResponse: IVersion;
  /** Alternate domain names and their certificate; omitted: the CloudFront domain only. */
  readonly domain?: { readonly names: string[]; readonly certificate: ICertificate };
  /**
   * A multi-tenant distribution of CloudFront SaaS Manager (`ConnectionMode: tenant-only`): it
   * serves only through its distribution tenants (custom domains, see custom-domains.ts), with the
   * same behavior as the platform's. IPv6 is the connection group's setting then.
   * @default false
   */
  readonly tenantOnly?: boolean;
  /** The cache policy to share with another distribution. @default a new one */
  readonly cachePolicy?: CachePolicy;
}

/**
 * The one multi-tenant CloudFront distribution. Every host reaches the same default behavior:
 * viewer-request (CloudFront Function) maps the host to its deployment and rewrites the request to
 * `/d/<deploymentId><path>`; the cache is keyed on that URI and the query string (per deployment);
 * on a miss, origin-request (Lambda@Edge) runs the router over the deployment's index and either
 * answers (redirects, 404s) or sends S3 (through OAC) the file's blob key; origin-response
 * (Lambda@Edge) puts the router's status and headers on S3's answer; viewer-response (CloudFront
 * Function) removes the CDN-only `s-maxage`. Deploy, promote and rollback change no part of it.
 */
export class EdgeDistribution extends Construct {
  readonly distribution: Distribution;
  readonly cachePolicy: CachePolicy;

  constructor(scope: Construct, id: string, props: EdgeDistributionProps) {
    super(scope, id);
    const { bucket, routing } = props;

    this.cachePolicy = props.cachePolicy ?? new CachePolicy(this, 'CachePolicy', {
      comment: 'Runway deployments: keyed on the rewritten URI, which names the immutable deployment, and the query',
      // Host stays out of the key: viewer-request has already turned it into the deployment id in
      // the URI. The query is in it: routes may test it (`has: [{type: "query"}]`). Answers that
      // depend on headers or cookies are sent without s-maxage, so the cache does not keep them.
      headerBehavior: CacheHeaderBehavior.none(),
      cookieBehavior: CacheCookieBehavior.none(),
      queryStringBehavior: CacheQueryStringBehavior.all(),
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: true,
      // A deployment never changes, so the router's answers carry s-maxage for a year (viewers get
      // Cache-Control without it from viewer-response). A minimum of 0 keeps "no-store" answers
      // and the ones without s-maxage (404s, header-dependent routes) out of the cache.
      minTtl: Duration.seconds(0),
      defaultTtl: Duration.days(365),
      maxTtl: Duration.days(365),
    });

    this.distribution = new Distribution(this, 'Distribution', {
      comment: props.tenantOnly ? 'Runway custom domains (one distribution tenant per domain)' : 'Runway deployments (all projects)',
      httpVersion: HttpVersion.HTTP2_AND_3,
      enableIpv6: true,
      // The TLS policy applies to a custom certificate only; the *.cloudfront.net default has a fixed one.
      ...(props.domain
        ? {
            domainNames: props.domain.names,
            certificate: props.domain.certificate,
            minimumProtocolVersion: SecurityPolicyProtocol.TLS_V1_2_2021,
          }
        : {}),
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.importedBucket(bucket), { originAccessLevels: [AccessLevel.READ] }),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        // Functions take every method (form POSTs, APIs); static files answer GET/HEAD only (origin-request-aws.ts).
        allowedMethods: AllowedMethods.ALLOW_ALL,
        cachedMethods: CachedMethods.CACHE_GET_HEAD,
        compress: true,
        cachePolicy: this.cachePolicy,
        // The router sees the viewer's headers, cookies and query (`has`/`missing` conditions) and
        // x-runway-host; S3 gets its own Host (the managed policy AllViewerExceptHostHeader).
        originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        functionAssociations: [
          { function: routing.viewerRequest, eventType: FunctionEventType.VIEWER_REQUEST },
          { function: routing.viewerResponse, eventType: FunctionEventType.VIEWER_RESPONSE },
        ],
        edgeLambdas: [
          // includeBody: the router signs a function's request, body hash included (edge/function-origin.ts).
          { functionVersion: props.originRequest, eventType: LambdaEdgeEventType.ORIGIN_REQUEST, includeBody: true },
          { functionVersion: props.originResponse, eventType: LambdaEdgeEventType.ORIGIN_RESPONSE },
        ],
      },
    });

    if (props.tenantOnly) {
      const cfn = this.distribution.node.defaultChild as CfnDistribution;
      cfn.addPropertyOverride('DistributionConfig.ConnectionMode', 'tenant-only');
      cfn.addPropertyDeletionOverride('DistributionConfig.IPV6Enabled');
      // The statement below, added by the platform's distribution, covers this one (distribution/*).
      return;
    }

    // The bucket policy lives in the state stack. Naming this distribution's id there would make the
    // state stack depend on the edge stack, which depends on the state stack: a cycle. So CloudFront
    // (this account's distributions only) may read the blobs, and nothing else in the bucket.
    bucket.addToResourcePolicy(
      new PolicyStatement({
        sid: 'RunwayEdgeReadsBlobs',
        principals: [new ServicePrincipal('cloudfront.amazonaws.com')],
        actions: ['s3:GetObject'],
        resources: [bucket.arnForObjects(props.servedObjects)],
        conditions: {
          StringEquals: { 'AWS:SourceAccount': Aws.ACCOUNT_ID },
          ArnLike: { 'AWS:SourceArn': `arn:${Aws.PARTITION}:cloudfront::${Aws.ACCOUNT_ID}:distribution/*` },
        },
      }),
    );
  }

  /**
   * The bucket as seen from this stack: imported by name, so the OAC origin does not write a
   * distribution-specific statement into the state stack's bucket policy (see above).
   */
  private importedBucket(bucket: IBucket): IBucket {
    const imported = Bucket.fromBucketAttributes(this, 'ArtifactBucket', {
      bucketName: bucket.bucketName,
      bucketArn: bucket.bucketArn,
      bucketRegionalDomainName: bucket.bucketRegionalDomainName,
    });
    Annotations.of(this).acknowledgeWarning(
      '@aws-cdk/aws-cloudfront-origins:updateImportedBucketPolicyOac',
      'The artifact bucket policy grants CloudFront read access to blobs/* from the state stack (no cross-stack cycle).',
    );
    return imported;
  }
}
