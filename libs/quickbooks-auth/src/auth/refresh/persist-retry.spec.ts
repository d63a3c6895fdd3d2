import { DecryptionError } from '../../errors/decryption.error';
import { StorageError } from '../../errors/storage.error';
import {
  isRetryableStorageError,
  PERSIST_RETRY_WINDOW_MS,
  persistRetryBackoff,
  persistRetryDelayMs,
  persistRetryPolicy,
  persistRetryStopAt,
} from './persist-retry';

/** A write that fails with `errors` in turn, then answers 'stored'. */
function flaky(...errors: Error[]) {
  const write = jest.fn(() => {
    const err = errors.shift();
    return err ? Promise.reject(err) : Promise.resolve('stored');
  });
  return write;
}
const outage = () => new StorageError('down', 'storage_unavailable');

describe('persist retry (a rotated token write through a store outage)', () => {
  it('retries store outages and lock timeouts, and unknown errors from a custom store', () => {
    expect(isRetryableStorageError(outage())).toBe(true);
    expect(isRetryableStorageError(new StorageError('lock wait', 'storage_lock_timeout'))).toBe(true);
    expect(isRetryableStorageError(new Error('ECONNRESET'))).toBe(true);
  });

  it('does not retry our errors that will not heal', () => {
    expect(isRetryableStorageError(new StorageError('corrupt row'))).toBe(false);
    expect(isRetryableStorageError(new DecryptionError('bad key'))).toBe(false);
  });

  it('delays double from 100 ms to 5 s, no jitter', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 20].map(persistRetryDelayMs)).toEqual([100, 200, 400, 800, 1_600, 3_200, 5_000, 5_000, 5_000]);
  });

  it("cockatiel's backoff yields that same sequence", () => {
    let backoff = persistRetryBackoff().next({ attempt: 1, signal: new AbortController().signal, result: { error: outage() } });
    const seen: number[] = [];
    for (let retry = 1; retry <= 12; retry++) {
      seen.push(backoff.duration);
      backoff = backoff.next({ attempt: retry + 1, signal: new AbortController().signal, result: { error: outage() } });
    }
    expect(seen).toEqual(Array.from({ length: 12 }, (_, i) => persistRetryDelayMs(i + 1)));
  });

  describe('stop time', () => {
    const base = { startedAt: 1_000, leaseTtlMs: 30_000, tokenCallBudgetMs: 18_000 };

    it('running: the window from the first try', () => {
      expect(persistRetryStopAt({ ...base, shutdownAt: null })).toBe(1_000 + PERSIST_RETRY_WINDOW_MS);
    });

    it('never shorter than one lease', () => {
      expect(persistRetryStopAt({ ...base, leaseTtlMs: PERSIST_RETRY_WINDOW_MS * 2, shutdownAt: null })).toBe(
        1_000 + PERSIST_RETRY_WINDOW_MS * 2,
      );
    });

    it('stopping: no later than the drain bound (call budget plus one lease from shutdown)', () => {
      expect(persistRetryStopAt({ ...base, shutdownAt: 5_000 })).toBe(5_000 + 18_000 + 30_000);
    });

    it('stopping near the end of the window: the window still bounds it', () => {
      expect(persistRetryStopAt({ ...base, shutdownAt: PERSIST_RETRY_WINDOW_MS })).toBe(1_000 + PERSIST_RETRY_WINDOW_MS);
    });
  });

  describe('policy', () => {
    it('retries through an outage with the doubling delays, then returns the write', async () => {
      const write = flaky(outage(), new Error('ECONNREFUSED'));
      const policy = persistRetryPolicy(() => Infinity);
      const delays: number[] = [];
      policy.onRetry((r) => delays.push(r.delay));
      await expect(policy.execute(write)).resolves.toBe('stored');
      expect(write).toHaveBeenCalledTimes(3);
      expect(delays).toEqual([100, 200]);
    });

    it('gives up at once on an error that will not heal', async () => {
      const corrupt = new StorageError('corrupt row');
      const write = flaky(corrupt);
      await expect(persistRetryPolicy(() => Infinity).execute(write)).rejects.toBe(corrupt);
      expect(write).toHaveBeenCalledTimes(1);
    });

    it('gives up when the next delay would end after the stop time', async () => {
      const last = outage();
      const write = flaky(outage(), last);
      // now 1 000: the first retry (100 ms) ends at 1 100, allowed; the second (200 ms) would end at 1 200.
      await expect(
        persistRetryPolicy(
          () => 1_150,
          () => 1_000,
        ).execute(write),
      ).rejects.toBe(last);
      expect(write).toHaveBeenCalledTimes(2);
    });

    it('a delay ending exactly at the stop time is still retried', async () => {
      const write = flaky(outage());
      await expect(
        persistRetryPolicy(
          () => 1_100,
          () => 1_000,
        ).execute(write),
      ).resolves.toBe('stored');
      expect(write).toHaveBeenCalledTimes(2);
    });

    it('reads the stop time at each failure (a shutdown begun meanwhile shortens it)', async () => {
      const stops = [Infinity, 0];
      const last = outage();
      const write = flaky(outage(), last);
      await expect(persistRetryPolicy(() => stops.shift()!).execute(write)).rejects.toBe(last);
      expect(write).toHaveBeenCalledTimes(2);
    });

    it('counts failures per policy (one policy per write)', async () => {
      const first = persistRetryPolicy(() => Infinity);
      const second = persistRetryPolicy(() => Infinity);
      const delays: number[] = [];
      second.onRetry((r) => delays.push(r.delay));
      await first.execute(flaky(outage()));
      await second.execute(flaky(outage()));
      expect(delays).toEqual([100]);
    });
  });
});
