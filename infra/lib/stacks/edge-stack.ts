import { Aws, CfnOutput, CfnRule, Fn, Stack, Token, type StackProps } from 'aws-cdk-lib';
import { Certificate, CertificateValidation } from 'aws-cdk-lib/aws-certificatemanager';
import type { Distribution, KeyValueStore } from 'aws-cdk-lib/aws-cloudfront';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { AaaaRecord, ARecord, HostedZone, RecordTarget } from 'aws-cdk-lib/aws-route53';
import { CloudFrontTarget } from 'aws-cdk-lib/aws-route53-targets';
import type { Construct } from 'constructs';
import { ARTIFACT_PREFIXES } from '../constructs/artifact-bucket.ts';
import { CustomDomains } from '../constructs/custom-domains.ts';
import { EdgeDistribution } from '../constructs/edge-distribution.ts';
import { EdgeLambda } from '../constructs/edge-lambda.ts';
import { EdgeRouting } from '../constructs/edge-routing.ts';
import { grantInvokeUserFunctionUrls } from '../constructs/user-functions.ts';
import { acknowledge, acknowledgeArnWildcard } from '../nag.ts';
import type { StateStack } from './state-stack.ts';

/** CloudFront takes certificates and Lambda@Edge functions from this region only. */
export const EDGE_REGION = 'us-east-1';

export interface EdgeStackProps extends StackProps {
  readonly state: StateStack;
  /** Domain deployments are served under; `localhost` (or `*.localhost`) means no certificate and no aliases. */
  readonly platformDomain: string;
  /**
   * A Route 53 public hosted zone holding the platform domain. With it the stack creates the
   * certificate's DNS validation records and the alias records of `*.D` and `D` itself; without
   * it the operator creates them (README, "Deploy to AWS").
   */
  readonly hostedZone?: { readonly hostedZoneId: string; readonly zoneName: string };
}

/** True for a domain that public DNS and ACM can serve (not the local `localhost`). */
export function isPublicDomain(domain: string): boolean {
  return !/(^|\.)localhost$/i.test(domain);
}

/**
 * The multi-tenant edge: one CloudFront distribution for every project, routing hosts through a
 * KeyValueStore to immutable deployment files in the artifact bucket. Must be deployed to
 * us-east-1, where CloudFront's certificates and Lambda@Edge functions live; the template refuses
 * any other region.
 */
export class EdgeStack extends Stack {
  readonly routing: EdgeRouting;
  /** The KeyValueStore the control plane writes (see `routing.grantWrite`). */
  readonly routes: KeyValueStore;
  readonly distribution: Distribution;
  /** Custom domains: the multi-tenant distribution and its connection group. */
  readonly customDomains: CustomDomains;

  constructor(scope: Construct, id: string, props: EdgeStackProps) {
    super(scope, id, props);
    const { state, platformDomain } = props;
    const bucket = state.artifactBucket;
    const blobObjects = `${ARTIFACT_PREFIXES.blobs}*`;

    // Synthesis fails early for a known other region; the rule below stops an env-agnostic template.
    this.node.addValidation({
      validate: () =>
        Token.isUnresolved(this.region) || this.region === EDGE_REGION
          ? []
          : [
              `RunwayEdge must be deployed to ${EDGE_REGION} (CloudFront certificates and Lambda@Edge live there), ` +
                `not ${this.region}. Deploy Runway with AWS_REGION=${EDGE_REGION}.`,
            ],
    });
    new CfnRule(this, 'DeployToUsEast1', {
      assertions: [
        {
          assert: Fn.conditionEquals(Aws.REGION, EDGE_REGION),
          assertDescription: `Runway's edge stack must be deployed to ${EDGE_REGION}: CloudFront takes certificates and Lambda@Edge functions from there only.`,
        },
      ],
    });

    this.routing = new EdgeRouting(this, 'Routing', { platformDomain });
    this.routes = this.routing.store;
    // The router runs at origin-request, on cache misses only: it reads the deployment's index
    // (routes/<id>.json, kept in memory) and names the file's blob, or answers itself.
    const originRequest = new EdgeLambda(this, 'OriginRequest', {
      entry: 'functions/src/edge/origin-request-aws.ts',
      description: "Runway origin-request: the router over a deployment's routes and files (cache misses only)",
      // Indexes of 20,000 files are a few MB of JSON: memory is also CPU for parsing them.
      memorySize: 512,
      reads: {
        bucket,
        objects: `${ARTIFACT_PREFIXES.routes}*`,
        why: 'Reads deployment indexes: routes/ holds only the compiled routes and file lists of deployments, written by finalize.',
      },
    });
    // Functions: the router sends their requests to their Function URLs (AWS_IAM), signed with this
    // function's role, which may invoke users' functions and read each deployment's URL map.
    grantInvokeUserFunctionUrls(originRequest.function);
    originRequest.function.addToRolePolicy(new PolicyStatement({ actions: ['s3:GetObject'], resources: [bucket.arnForObjects(`${ARTIFACT_PREFIXES.functions}*`)] }));
    acknowledgeArnWildcard(originRequest.function, bucket.bucketArn, `/${ARTIFACT_PREFIXES.functions}*`, "Reads each deployment's function name → Function URL map, written by finalize.");
    // No I/O: the router's status and headers travel in the request.
    const originResponse = new EdgeLambda(this, 'OriginResponse', {
      entry: 'functions/src/edge/origin-response-aws.ts',
      description: 'Runway origin-response: the status and headers the router chose, on the blob S3 returns',
    });

    if (props.hostedZone && !isPublicDomain(platformDomain)) {
      throw new Error(`A hosted zone needs a public platform domain, not ${platformDomain}`);
    }
    const zone = props.hostedZone ? HostedZone.fromHostedZoneAttributes(this, 'Zone', props.hostedZone) : undefined;
    let domain: { names: string[]; certificate: Certificate } | undefined;
    if (isPublicDomain(platformDomain)) {
      const names = [`*.${platformDomain}`, platformDomain];
      // DNS validation: ACM shows the CNAME records to create and the deploy waits until they
      // resolve; with a hosted zone, CloudFormation creates them in it
      // (`HostedZoneId` "causes ACM to add your CNAME to the domain record": https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-certificatemanager-certificate-domainvalidationoption.html).
      const certificate = new Certificate(this, 'Certificate', {
        domainName: names[0]!,
        subjectAlternativeNames: [platformDomain],
        validation: CertificateValidation.fromDns(zone),
      });
      domain = { names, certificate };
    }

    const edge = new EdgeDistribution(this, 'Edge', {
      bucket,
      servedObjects: blobObjects,
      routing: this.routing,
      originRequest: originRequest.version,
      originResponse: originResponse.version,
      ...(domain ? { domain } : {}),
    });
    this.distribution = edge.distribution;

    // Custom domains (CloudFront SaaS Manager): a tenant-only twin of the platform distribution —
    // same functions, KeyValueStore, cache policy, origin and Lambda@Edge — so a custom host is
    // served exactly as a platform host; one distribution tenant per domain is created at run time.
    const tenants = new EdgeDistribution(this, 'TenantEdge', {
      bucket,
      servedObjects: blobObjects,
      routing: this.routing,
      originRequest: originRequest.version,
      originResponse: originResponse.version,
      cachePolicy: edge.cachePolicy,
      tenantOnly: true,
    });
    this.customDomains = new CustomDomains(this, 'CustomDomains', { distribution: tenants.distribution });

    if (zone && domain) {
      // Both names point at the distribution (alias records: no charge for the queries).
      const target = RecordTarget.fromAlias(new CloudFrontTarget(this.distribution));
      for (const [id, recordName] of [['Wildcard', domain.names[0]!], ['Apex', platformDomain]] as const) {
        new ARecord(this, `${id}A`, { zone, recordName, target });
        new AaaaRecord(this, `${id}Aaaa`, { zone, recordName, target });
      }
    }

    new CfnOutput(this, 'DistributionDomainName', {
      value: this.distribution.distributionDomainName,
      description: zone
        ? `*.${platformDomain} and ${platformDomain} point here (alias records in hosted zone ${props.hostedZone!.zoneName})`
        : `Point *.${platformDomain} and ${platformDomain} here (CNAME / alias record)`,
    });
    new CfnOutput(this, 'RoutesKeyValueStoreArn', { value: this.routes.keyValueStoreArn });
    new CfnOutput(this, 'CustomDomainTarget', {
      value: this.customDomains.connectionGroup.attrRoutingEndpoint,
      description: "Custom domains' CNAME (or apex ALIAS) target: the connection group's routing endpoint",
    });

    for (const distribution of [this.distribution, tenants.distribution]) acknowledge(distribution, [
      {
        id: 'AwsSolutions-CFR1',
        reason: 'Deployments are public websites; who may see them is the project owner\'s choice, not a platform-wide geo rule.',
      },
      {
        id: 'AwsSolutions-CFR2',
        reason: 'No WAF by default: a web ACL costs a fixed monthly fee per distribution, and an idle install must cost cents. Operators can attach one.',
      },
      {
        id: 'AwsSolutions-CFR3',
        reason: 'Standard logs need an ACL-enabled log bucket and cost per request; left to the operator to enable.',
      },
      ...(domain
        ? []
        : [
            {
              id: 'AwsSolutions-CFR4',
              reason:
                'Without a platform domain (runway:platformDomain=localhost) the distribution has only its *.cloudfront.net name, whose default certificate CloudFront pins to its own TLS policy.',
            },
          ]),
      ...(distribution === this.distribution
        ? []
        : [{ id: 'AwsSolutions-CFR4', reason: 'A tenant-only distribution serves through its tenants, each with its CloudFront-managed certificate; its own default certificate serves no viewer.' }]),
    ]);
  }
}
