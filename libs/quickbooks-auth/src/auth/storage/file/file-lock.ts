import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { open, readFile, stat, unlink } from 'node:fs/promises';
import { StorageError } from '../../../errors/storage.error';

export interface FileLockOptions {
  /** A lock older than this is stale even if its process still runs (it paused or hung). */
  ttlMs: number;
  /** Give up waiting after this long. */
  timeoutMs: number;
}

interface LockContent {
  pid: number;
  host: string;
  token: string;
  expiresAt: number;
}

const RETRY_MS = 5;

/**
 * Mutual exclusion for writers of one file, across processes on one host: an O_EXCL lockfile
 * holding {pid, host, token, expiresAt}, plus an in-process queue so callers in the same process
 * wait on a promise instead of polling the file system.
 * A lock is stale when it expired, or its pid is gone on this host. Takeover happens under a
 * second O_EXCL guard file and re-checks the exact lock it judged stale, so two takers never
 * delete each other's fresh lock.
 */
export class FileLock {
  private readonly queues = new Map<string, Promise<void>>();
  private readonly host = hostname();

  constructor(
    private readonly options: FileLockOptions,
    private readonly display: (path: string) => string,
  ) {}

  async withLock<T>(lockPath: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(lockPath) ?? Promise.resolve();
    let done!: () => void;
    const mine = new Promise<void>((resolve) => (done = resolve));
    const tail = previous.then(() => mine);
    this.queues.set(lockPath, tail);
    await previous;
    try {
      const token = await this.acquire(lockPath);
      try {
        return await fn();
      } finally {
        await this.release(lockPath, token);
      }
    } finally {
      done();
      if (this.queues.get(lockPath) === tail) this.queues.delete(lockPath);
    }
  }

  private async acquire(lockPath: string): Promise<string> {
    const token = randomBytes(8).toString('hex');
    const deadline = Date.now() + this.options.timeoutMs;
    for (;;) {
      const content: LockContent = { pid: process.pid, host: this.host, token, expiresAt: Date.now() + this.options.ttlMs };
      try {
        const handle = await open(lockPath, 'wx', 0o600);
        try {
          await handle.writeFile(JSON.stringify(content));
        } finally {
          await handle.close();
        }
        return token;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      await this.takeOverIfStale(lockPath);
      if (Date.now() > deadline) {
        throw new StorageError(`Timed out waiting for the write lock ${this.display(lockPath)}`, 'storage_lock_timeout');
      }
      await sleep(RETRY_MS + Math.random() * RETRY_MS);
    }
  }

  private async release(lockPath: string, token: string): Promise<void> {
    // Only delete our own lock: if we were judged stale and someone took over, it is theirs now.
    const current = await readLock(lockPath);
    if (current.parsed?.token === token) await unlink(lockPath).catch(() => undefined);
  }

  private async takeOverIfStale(lockPath: string): Promise<void> {
    const seen = await readLock(lockPath);
    if (!seen.raw || !(await this.isStale(lockPath, seen.parsed))) return;
    const guard = `${lockPath}.takeover`;
    try {
      await (await open(guard, 'wx', 0o600)).close();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // A taker that died between creating and deleting the guard: the guard is only ever held for microseconds.
      const info = await stat(guard).catch(() => null);
      if (info && Date.now() - info.mtimeMs > this.options.ttlMs) await unlink(guard).catch(() => undefined);
      return;
    }
    try {
      const again = await readLock(lockPath);
      if (again.raw === seen.raw) await unlink(lockPath).catch(() => undefined);
    } finally {
      await unlink(guard).catch(() => undefined);
    }
  }

  private async isStale(lockPath: string, lock: LockContent | null): Promise<boolean> {
    if (!lock) {
      // Unreadable content: a writer between open and write, or a crash right there. Judge by age.
      const info = await stat(lockPath).catch(() => null);
      return !!info && Date.now() - info.mtimeMs > this.options.ttlMs;
    }
    if (lock.expiresAt < Date.now()) return true;
    return lock.host === this.host && !processAlive(lock.pid);
  }
}

async function readLock(lockPath: string): Promise<{ raw: string | null; parsed: LockContent | null }> {
  let raw: string;
  try {
    raw = await readFile(lockPath, 'utf8');
  } catch {
    return { raw: null, parsed: null };
  }
  try {
    const parsed = JSON.parse(raw) as LockContent;
    return { raw, parsed: typeof parsed?.token === 'string' && Number.isFinite(parsed.expiresAt) ? parsed : null };
  } catch {
    return { raw, parsed: null };
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
