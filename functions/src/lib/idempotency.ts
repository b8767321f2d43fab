import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { config } from '#lib/config';

/**
 * Wraps `fn` with Powertools Idempotency over the idempotency table: the first call with a given
 * key runs it and stores the result; repeats (concurrent ones too) get the stored result or
 * `IdempotencyAlreadyInProgressError`; a call that throws leaves no record, so a retry runs again.
 * Built on first call, so importing it reads no environment.
 */
export function idempotent<A extends Record<string, unknown>, R>(
  fn: (input: A) => Promise<R>,
  options: { keyPrefix: string; keyPath: string; expiresAfterSeconds: number },
): (input: A) => Promise<R> {
  let wrapped: ((input: A) => Promise<R>) | undefined;
  return (input) => {
    wrapped ??= makeIdempotent(fn, {
      persistenceStore: new DynamoDBPersistenceLayer({ tableName: config().RUNWAY_IDEMPOTENCY_TABLE_NAME }),
      config: new IdempotencyConfig({ eventKeyJmesPath: options.keyPath, expiresAfterSeconds: options.expiresAfterSeconds, throwOnNoIdempotencyKey: true }),
      keyPrefix: options.keyPrefix,
    }) as (input: A) => Promise<R>;
    return wrapped(input);
  };
}
