import { mkdir, open, readdir, unlink } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { StateNonceStore } from '../../state/state-nonce-store.interface';

/**
 * Nonce store for the file backend: one empty marker file per consumed nonce, created with
 * O_EXCL, so a state is single-use across every process on the host. Old markers are swept.
 */
export class FileStateNonceStore implements StateNonceStore {
  private consumed = 0;

  constructor(private readonly directory: string) {}

  async consume(nonce: string, expiresAt: Date): Promise<boolean> {
    await mkdir(this.directory, { recursive: true, mode: 0o700 });
    // Hash: the nonce is base64url, but a file name must never depend on caller input.
    const file = join(this.directory, `${createHash('sha256').update(nonce).digest('hex')}.${expiresAt.getTime() + 60_000}`);
    try {
      const handle = await open(file, 'wx', 0o600);
      await handle.close();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    }
    if (++this.consumed % 100 === 0) void this.sweep();
    return true;
  }

  private async sweep(): Promise<void> {
    const now = Date.now();
    for (const name of await readdir(this.directory).catch(() => [] as string[])) {
      const expires = Number(name.split('.')[1]);
      if (Number.isFinite(expires) && expires < now) await unlink(join(this.directory, name)).catch(() => undefined);
    }
  }
}
