import { ConstantBackoff, handleWhen, retry, type RetryPolicy } from 'cockatiel';
import type { SqlDialect } from './sql-dialect';
import { driverErrorCode } from './storage-error.mapper';

/** Attempts per operation: the first and two retries. */
export const DEADLOCK_ATTEMPTS = 3;

/** One policy per dialect (the dialects are module constants; a policy holds no per-call state). */
const policies = new WeakMap<SqlDialect, RetryPolicy>();

/**
 * A statement the server rolled back whole to break a deadlock (or a serialization conflict) is
 * run again at once, up to DEADLOCK_ATTEMPTS in all: every operation re-checks its condition.
 * Any other error, or the last attempt's, is thrown as is (the caller maps it).
 */
export function deadlockRetry(dialect: SqlDialect): RetryPolicy {
  let policy = policies.get(dialect);
  if (!policy) {
    policy = retry(
      handleWhen((err) => dialect.isRetryable(driverErrorCode(err))),
      { maxAttempts: DEADLOCK_ATTEMPTS - 1, backoff: new ConstantBackoff(0) },
    );
    policies.set(dialect, policy);
  }
  return policy;
}
