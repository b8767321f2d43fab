import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** Key prefixes of the artifact bucket, shared by the control plane, the builder and the edge. */
export const ARTIFACT_PREFIXES = {
  /** Content-addressed file blobs: `blobs/<sha256>`. */
  blobs: 'blobs/',
  /** Immutable deployment files served by the edge: `d/<deploymentId>/<path>`. */
  deployments: 'd/',
  /** Deployment manifests: `manifests/<deploymentId>.json`. */
  manifests: 'manifests/',
  /** Build caches: `cache/<projectId>/<key>.tgz`. */
  cache: 'cache/',
  /** Build logs: `logs/<deploymentId>/…`. */
  logs: 'logs/',
} as const;

export interface ArtifactBucketProps {
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** Days a build cache object lives without being rewritten. @default 30 */
  readonly cacheExpirationDays?: number;
}

/**
 * Private bucket of blobs, immutable deployment files and build caches. Only CloudFront (through
 * OAC) and the platform's roles read it; nothing is public.
 */
export class ArtifactBucket extends Construct {
  readonly bucket: Bucket;

  constructor(scope: Construct, id: string, props: ArtifactBucketProps = {}) {
    super(scope, id);
    this.bucket = new Bucket(this, 'Bucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      lifecycleRules: [
        {
          id: 'expire-build-cache',
          prefix: ARTIFACT_PREFIXES.cache,
          expiration: Duration.days(props.cacheExpirationDays ?? 30),
        },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });
  }
}
