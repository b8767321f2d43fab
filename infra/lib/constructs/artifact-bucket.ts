import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { BlockPublicAccess, Bucket, BucketEncryption, HttpMethods, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { UPLOAD_CORS } from '../../../functions/src/handlers/http/cors.ts';
import { Construct } from 'constructs';

/** Key prefixes of the artifact bucket, shared by the control plane, the builder and the edge. */
export const ARTIFACT_PREFIXES = {
  /** Content-addressed file blobs: `blobs/<teamId>/<sha256>`. */
  blobs: 'blobs/',
  /** Direct uploads waiting for their completion check: `uploads/<teamId>/<sha256>`. */
  uploads: 'uploads/',
  /**
   * Files of deployments finalized before the deployment index (copies of blobs):
   * `d/<deploymentId>/<path>`. Nothing is written here any more; the edge serves blobs.
   */
  deployments: 'd/',
  /** Deployment indexes the edge routes by (routes + path → blob): `routes/<deploymentId>.json`. */
  routes: 'routes/',
  /** Deployment manifests: `manifests/<deploymentId>.json`. */
  manifests: 'manifests/',
  /** Build caches: `cache/<projectId>/<key>.tgz`. */
  cache: 'cache/',
  /** A deployment's function name → Function URL host, for the edge: `functions/<deploymentId>.json`. */
  functions: 'functions/',
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
 * OAC) and the platform's roles read it; nothing is public. Browsers may PUT to it only through a
 * presigned URL (CORS allows the PUT, the signature authorizes it).
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
        // A direct upload nobody completed is garbage after a day (its URL expired long before).
        { id: 'expire-unfinished-uploads', prefix: ARTIFACT_PREFIXES.uploads, expiration: Duration.days(1) },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      // Browsers (the console) PUT files to presigned upload URLs; see UPLOAD_CORS.
      cors: [
        {
          allowedOrigins: [...UPLOAD_CORS.allowedOrigins],
          allowedMethods: UPLOAD_CORS.allowedMethods.map((m) => HttpMethods[m]),
          allowedHeaders: [...UPLOAD_CORS.allowedHeaders],
          maxAge: UPLOAD_CORS.maxAgeSeconds,
        },
      ],
    });
  }
}
