/** True when a DynamoDB write failed its condition (ElectroDB wraps the SDK error as `cause`). */
export function isConditionFailed(error: unknown): boolean {
  for (let e: unknown = error; e; e = (e as { cause?: unknown }).cause) {
    if ((e as { name?: string }).name === 'ConditionalCheckFailedException') return true;
  }
  return false;
}

/** Outcome of one ElectroDB write transaction: which operations DynamoDB rejected, by position. */
export interface TransactionOutcome {
  canceled: boolean;
  data: ReadonlyArray<{ rejected: boolean; code?: string }>;
}

/** Indexes of the operations a canceled transaction rejected for a failed condition. */
export function rejectedConditions(outcome: TransactionOutcome): number[] {
  if (!outcome.canceled) return [];
  return outcome.data.flatMap((op, i) => (op.rejected && op.code === 'ConditionalCheckFailed' ? [i] : []));
}

/**
 * Throws when a transaction was canceled for a reason other than a failed condition (throttling,
 * a conflicting transaction): the caller cannot map that to a 4xx.
 */
export function assertOnlyConditionFailures(outcome: TransactionOutcome): void {
  if (!outcome.canceled) return;
  const other = outcome.data.filter((op) => op.rejected && op.code !== 'ConditionalCheckFailed');
  if (other.length > 0) {
    throw new TransactionCanceledError(`Transaction canceled: ${other.map((op) => op.code).join(', ')}`);
  }
}

export class TransactionCanceledError extends Error {
  override name = 'TransactionCanceledError';
}

/**
 * Runs a conditional write: its result, or `otherwise` when DynamoDB refused it for its
 * condition (any other failure is thrown).
 */
export async function unlessConditionFails<T, U>(write: Promise<T>, otherwise: U): Promise<T | U> {
  try {
    return await write;
  } catch (error) {
    if (isConditionFailed(error)) return otherwise;
    throw error;
  }
}
