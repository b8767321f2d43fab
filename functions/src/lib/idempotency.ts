import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Context } from 'aws-lambda';
import { config } from '#lib/config';

/**
 * Wraps `fn` with Powertools Idempotency over the idempotency table: the first call with a given
 * key runs it and stores the result; repeats (concurrent ones too) get the stored result or
 * `IdempotencyAlreadyInProgressError`; a call that throws leaves no record, so a retry runs again.
 * The Lambda context bounds an in-progress record by the invocation's remaining time, so a
 * function that dies mid-call does not block its key until the record expires.
 * Built on first call, so importing it reads no environment.
 */
export function idempotent<A extends Record<string, unknown>, R>(
  fn: (input: A) => Promise<R>,
  options: { keyPrefix: string; keyPath: string; expiresAfterSeconds: number },
): (input: A, context: Context) => Promise<R> {
  let built: { config: IdempotencyConfig; run: (input: A) => Promise<R> } | undefined;
  return (input, context) => {
    if (!built) {
      const idempotencyConfig = new IdempotencyConfig({ eventKeyJmesPath: options.keyPath, expiresAfterSeconds: options.expiresAfterSeconds, throwOnNoIdempotencyKey: true });
      const run = makeIdempotent(fn, {
        persistenceStore: new DynamoDBPersistenceLayer({ tableName: config().RUNWAY_IDEMPOTENCY_TABLE_NAME }),
        config: idempotencyConfig,
        keyPrefix: options.keyPrefix,
      }) as (input: A) => Promise<R>;
      built = { config: idempotencyConfig, run };
    }
    built.config.registerLambdaContext(context);
    return built.run(input);
  };
}
