import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';

export interface ControlPlaneTableProps {
  /** Keep the table when the stack is deleted. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The single control-plane table (single-table design, keys from the access patterns):
 * `pk`/`sk` plus two overloaded indexes `gsi1` and `gsi2`, and the sparse `gsi3` that holds only
 * deployments in flight (the stuck-deployment sweep reads it; see adapters/db/dynamodb/model.ts). `Table` rather than `TableV2`
 * because the local emulator's CloudFormation does not support `AWS::DynamoDB::GlobalTable`.
 */
export class ControlPlaneTable extends Construct {
  readonly table: Table;
  /** Table of Powertools Idempotency records (webhook deliveries, queue and bus events). */
  readonly idempotencyTable: Table;

  constructor(scope: Construct, id: string, props: ControlPlaneTableProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.table = new Table(this, 'Table', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: 'ttl',
      removalPolicy,
    });
    for (const index of ['gsi1', 'gsi2', 'gsi3']) {
      this.table.addGlobalSecondaryIndex({
        indexName: index,
        partitionKey: { name: `${index}pk`, type: AttributeType.STRING },
        sortKey: { name: `${index}sk`, type: AttributeType.STRING },
      });
    }
    this.idempotencyTable = new Table(this, 'Idempotency', {
      partitionKey: { name: 'id', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: 'expiration',
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }
}
