import { Arn, ArnFormat, Stack } from 'aws-cdk-lib';
import { CfnConnectionGroup, type Distribution } from 'aws-cdk-lib/aws-cloudfront';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct, type IConstruct } from 'constructs';
import { acknowledge, renderedEnv } from '../nag.ts';

export interface CustomDomainsProps {
  /** The multi-tenant (tenant-only) distribution custom domains attach to as tenants. */
  readonly distribution: Distribution;
}

/**
 * Custom domains with CloudFront SaaS Manager: the multi-tenant distribution's connection group,
 * whose routing endpoint every custom domain's CNAME points at, and the rights to manage one
 * distribution tenant per domain at run time (functions/src/adapters/domain-attachments/
 * cloudfront-saas.ts). Tenants get CloudFront-managed certificates, validated over HTTP once the
 * CNAME resolves to the routing endpoint and renewed by CloudFront
 * (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/managed-cloudfront-certificates.html).
 */
export class CustomDomains extends Construct {
  readonly connectionGroup: CfnConnectionGroup;
  readonly distribution: Distribution;

  constructor(scope: Construct, id: string, props: CustomDomainsProps) {
    super(scope, id);
    this.distribution = props.distribution;
    this.connectionGroup = new CfnConnectionGroup(this, 'ConnectionGroup', {
      name: `${Stack.of(this).stackName}-domains`,
      enabled: true,
      ipv6Enabled: true,
    });
  }

  /** What the functions that attach domains read: the distribution, its connection group, the endpoint. */
  environment(): Record<string, string> {
    return {
      RUNWAY_DISTRIBUTION_ID: this.distribution.distributionId,
      RUNWAY_CONNECTION_GROUP_ID: this.connectionGroup.attrId,
      RUNWAY_DOMAIN_TARGET: this.connectionGroup.attrRoutingEndpoint,
    };
  }

  /**
   * Lets `grantee` create, read, disable and delete distribution tenants of this distribution and
   * read their managed certificates: the adapter's calls, on this account's tenants, this
   * distribution and this connection group only.
   */
  grantManageTenants(grantee: IGrantable & IConstruct): Grant {
    const stack = Stack.of(this);
    const { partition, account } = renderedEnv(grantee);
    acknowledge(grantee, [
      {
        id: `AwsSolutions-IAM5[Resource::arn:${partition}:cloudfront::${account}:distribution-tenant/*]`,
        reason: 'Tenants are created at run time, one per custom domain, so their ids are not known at deploy time; the actions are the tenant calls of the domains adapter only.',
      },
    ]);
    const tenants = Arn.format({ service: 'cloudfront', region: '', resource: 'distribution-tenant', resourceName: '*', arnFormat: ArnFormat.SLASH_RESOURCE_NAME }, stack);
    const connectionGroup = Arn.format(
      { service: 'cloudfront', region: '', resource: 'connection-group', resourceName: this.connectionGroup.attrId, arnFormat: ArnFormat.SLASH_RESOURCE_NAME },
      stack,
    );
    return Grant.addToPrincipal({
      grantee,
      actions: TENANT_ACTIONS,
      resourceArns: [tenants, this.distribution.distributionArn, connectionGroup],
    });
  }
}

/** The CloudFront calls of the attachments adapter, and nothing else. */
export const TENANT_ACTIONS = [
  'cloudfront:CreateDistributionTenant',
  'cloudfront:GetDistributionTenant',
  'cloudfront:GetDistributionTenantByDomain',
  'cloudfront:UpdateDistributionTenant',
  'cloudfront:DeleteDistributionTenant',
  'cloudfront:GetManagedCertificateDetails',
];
