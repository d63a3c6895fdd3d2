import Redis from 'ioredis';
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StorageOptions } from '@quickbooks-auth/nestjs';
import { createScratchDatabase } from './mariadb';

export type ScratchStoreKind = 'sqlite' | 'mariadb' | 'redis' | 'file';

/** Durable storage options of one kind, empty and private to the caller, and how to remove it. */
export interface ScratchStore {
  storage: StorageOptions;
  cleanup(): Promise<void>;
}

/** A fresh store on the real servers (MariaDB scratch database, Redis key prefix) or in a temp dir. */
export async function openScratchStore(kind: ScratchStoreKind, label: string): Promise<ScratchStore> {
  switch (kind) {
    case 'sqlite': {
      const dir = mkdtempSync(join(tmpdir(), `${label}-sqlite-`));
      return { storage: { type: 'typeorm', sqlitePath: join(dir, 'qb.sqlite') }, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
    }
    case 'mariadb': {
      const db = await createScratchDatabase(label.replace(/[^a-z0-9_]/gi, '_'));
      return { storage: { type: 'typeorm', url: db.url }, cleanup: () => db.drop() };
    }
    case 'redis': {
      const keyPrefix = `${label}:${randomBytes(4).toString('hex')}:`;
      return {
        storage: { type: 'redis', url: process.env.REDIS_URL!, keyPrefix },
        cleanup: async () => {
          const redis = new Redis(process.env.REDIS_URL!);
          const keys = await redis.keys(`${keyPrefix}*`);
          if (keys.length) await redis.del(...keys);
          await redis.quit();
        },
      };
    }
    case 'file': {
      const dir = mkdtempSync(join(tmpdir(), `${label}-file-`));
      return { storage: { type: 'file', directory: dir }, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
    }
  }
}
