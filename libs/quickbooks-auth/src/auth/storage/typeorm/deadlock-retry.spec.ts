import { DEADLOCK_ATTEMPTS, deadlockRetry } from './deadlock-retry';
import type { SqlDialect } from './sql-dialect';

/** Only isRetryable is read by the policy. */
const dialect = { isRetryable: (code: string | undefined) => code === 'ER_LOCK_DEADLOCK' } as unknown as SqlDialect;
const deadlock = () => Object.assign(new Error('Deadlock found'), { code: 'ER_LOCK_DEADLOCK' });
/** TypeORM's QueryFailedError shape: the driver's code under driverError. */
const wrappedDeadlock = () => Object.assign(new Error('query failed'), { driverError: { code: 'ER_LOCK_DEADLOCK' } });

function failing(...errors: Error[]) {
  return jest.fn(() => {
    const err = errors.shift();
    return err ? Promise.reject(err) : Promise.resolve('done');
  });
}

describe('deadlockRetry', () => {
  it('runs a deadlock victim again, up to three attempts in all', async () => {
    const op = failing(deadlock(), wrappedDeadlock());
    await expect(deadlockRetry(dialect).execute(op)).resolves.toBe('done');
    expect(op).toHaveBeenCalledTimes(3);
    expect(DEADLOCK_ATTEMPTS).toBe(3);
  });

  it('throws the third deadlock as is', async () => {
    const third = deadlock();
    const op = failing(deadlock(), deadlock(), third, deadlock());
    await expect(deadlockRetry(dialect).execute(op)).rejects.toBe(third);
    expect(op).toHaveBeenCalledTimes(3);
  });

  it('does not retry any other error', async () => {
    const duplicate = Object.assign(new Error('dup'), { code: 'ER_DUP_ENTRY' });
    const op = failing(duplicate);
    await expect(deadlockRetry(dialect).execute(op)).rejects.toBe(duplicate);
    expect(op).toHaveBeenCalledTimes(1);
  });

  it('a dialect that never deadlocks (SQLite) never retries', async () => {
    const sqlite = { isRetryable: () => false } as unknown as SqlDialect;
    const op = failing(deadlock());
    await expect(deadlockRetry(sqlite).execute(op)).rejects.toThrow('Deadlock found');
    expect(op).toHaveBeenCalledTimes(1);
  });

  it('one policy per dialect', () => {
    expect(deadlockRetry(dialect)).toBe(deadlockRetry(dialect));
  });
});
