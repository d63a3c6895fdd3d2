import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

export const TEMP_MARKER = '.tmp-';

/**
 * Replace `file` atomically and durably: write a 0600 temp file beside it, fsync it, rename it
 * over the target, then fsync the directory so the rename itself survives a power cut (I2).
 * Readers see the old document or the new one, never a torn one.
 */
export async function writeFileAtomic(file: string, data: string): Promise<void> {
  const temp = `${file}${TEMP_MARKER}${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(data, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
  await fsyncDirectory(dirname(file));
}

export async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
