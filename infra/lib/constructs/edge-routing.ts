import path from 'node:path';
import { KeyValueStore } from 'aws-cdk-lib/aws-cloudfront';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { CloudFrontJsFunction } from './cloudfront-js-function.ts';
import { REPO_ROOT } from './runway-function.ts';

/** The committed CloudFront Function sources, deployed byte for byte (and run by the local edge). */
export const EDGE_FUNCTION_SOURCES = {
  viewerRequest: path.join(REPO_ROOT, 'functions/src/edge/viewer-request.js'),
  viewerResponse: path.join(REPO_ROOT, 'functions/src/edge/viewer-response.js'),
  /** The console distribution's viewer-request (directory paths to their index.html). */
  consoleRequest: path.join(REPO_ROOT, 'functions/src/edge/console-request.js'),
} as const;

/** What the control plane may do to the routing store: read its ETag, write and delete keys, read one back. */
export const EDGE_STORE_WRITE_ACTIONS = [
  'cloudfront-keyvaluestore:DescribeKeyValueStore',
  'cloudfront-keyvaluestore:PutKey',
  'cloudfront-keyvaluestore:DeleteKey',
  'cloudfront-keyvaluestore:GetKey',
] as const;

export interface EdgeRoutingProps {
  /** Platform domain, for the resource descriptions. */
  readonly platformDomain: string;
}

/**
 * Host routing at the edge: the KeyValueStore (`<host>` → `<deploymentId>`; `c:<key>` entries of
 * deployments from before the deployment index are still read by nothing and swept with their
 * deployments) and the two CloudFront Functions (cloudfront-js-2.0): viewer-request maps a host to
 * its deployment (the cache key), viewer-response drops the CDN-only `s-maxage`. Promote and
 * rollback are KVS writes only.
 */
export class EdgeRouting extends Construct {
  readonly store: KeyValueStore;
  readonly viewerRequest: CloudFrontJsFunction;
  readonly viewerResponse: CloudFrontJsFunction;

  constructor(scope: Construct, id: string, props: EdgeRoutingProps) {
    super(scope, id);
    this.store = new KeyValueStore(this, 'Store', { comment: `Runway host routing for ${props.platformDomain}` });
    this.viewerRequest = new CloudFrontJsFunction(this, 'ViewerRequest', {
      comment: 'Runway: Host -> deployment via the KeyValueStore, rewrite to its immutable files',
      sourcePath: EDGE_FUNCTION_SOURCES.viewerRequest,
      keyValueStore: this.store,
    });
    this.viewerResponse = new CloudFrontJsFunction(this, 'ViewerResponse', {
      comment: 'Runway: removes the CDN-only s-maxage from Cache-Control',
      sourcePath: EDGE_FUNCTION_SOURCES.viewerResponse,
    });
  }

  /**
   * Lets the host sweep read every key of the store and remove the ones nobody owns: the writer's
   * actions and `ListKeys`, on this store only.
   */
  grantSweep(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({
      grantee,
      actions: [...EDGE_STORE_WRITE_ACTIONS, 'cloudfront-keyvaluestore:ListKeys'],
      resourceArns: [this.store.keyValueStoreArn],
    });
  }

  /** Lets `grantee` read the store: list its keys and get their values (the index backfill). */
  grantRead(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({
      grantee,
      actions: ['cloudfront-keyvaluestore:ListKeys', 'cloudfront-keyvaluestore:GetKey'],
      resourceArns: [this.store.keyValueStoreArn],
    });
  }

  /** Lets `grantee` mirror alias records into the store (the EdgeStore adapter's calls, nothing else). */
  grantWrite(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({
      grantee,
      actions: [...EDGE_STORE_WRITE_ACTIONS],
      resourceArns: [this.store.keyValueStoreArn],
    });
  }
}
