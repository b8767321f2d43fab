import { RemovalPolicy } from 'aws-cdk-lib';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledge } from '../nag.ts';

export interface CursorKeyProps {
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The secret the API's list cursors are sealed with (functions/src/lib/cursor.ts derives an
 * AES-256-GCM key from it): 64 generated characters, readable only by the API functions that
 * answer lists.
 */
export class CursorKey extends Construct {
  readonly secret: Secret;

  constructor(scope: Construct, id: string, props: CursorKeyProps = {}) {
    super(scope, id);
    this.secret = new Secret(this, 'Secret', {
      description: "Runway: the key list cursors are sealed with. Replacing the value only makes earlier cursors invalid (clients start their listing again).",
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    acknowledge(this.secret, [
      {
        id: 'AwsSolutions-SMG4',
        reason: 'Rotation needs no rotation Lambda: writing a new value is the rotation, and it only invalidates cursors handed out before (clients restart their listing).',
      },
    ]);
  }

  /** Lets a function seal and open list cursors: read the secret (`RUNWAY_CURSOR_SECRET_ID`), nothing else. */
  grantUse(fn: LambdaFunction): void {
    this.secret.grantRead(fn);
    fn.addEnvironment('RUNWAY_CURSOR_SECRET_ID', this.secret.secretArn);
  }
}
