import Database from 'better-sqlite3';
import Redis from 'ioredis';
import mysql from 'mysql2/promise';
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import type { StorageOptions } from '@quickbooks-auth/nestjs';
import { createScratchDatabase } from './mariadb';
import { createScratchPostgresDatabase } from './postgres';

export type ScratchSqlKind = 'sqlite' | 'mariadb' | 'postgres';
export type ScratchStoreKind = ScratchSqlKind | 'redis' | 'file';

/** Durable storage options of one kind, empty and private to the caller, and how to remove it. */
export interface ScratchStore {
  storage: StorageOptions;
  cleanup(): Promise<void>;
}

/** A scratch SQL store, and a raw read of it past the library (for what lands on disk). */
export interface ScratchSqlStore extends ScratchStore {
  /** The database URL the storage options name (SQLite: none, the file is `sqlitePath`). */
  url?: string;
  query<Row = Record<string, unknown>>(sql: string): Promise<Row[]>;
}

/** A database name part: MariaDB and PostgreSQL both take letters, digits and underscores. */
const dbLabel = (label: string) => label.replace(/[^a-z0-9_]/gi, '_');

/** A fresh store on the real servers (MariaDB or PostgreSQL scratch database, Redis key prefix) or in a temp dir. */
export async function openScratchStore(kind: ScratchSqlKind, label: string): Promise<ScratchSqlStore>;
export async function openScratchStore(kind: ScratchStoreKind, label: string): Promise<ScratchStore>;
export async function openScratchStore(kind: ScratchStoreKind, label: string): Promise<ScratchStore | ScratchSqlStore> {
  switch (kind) {
    case 'sqlite': {
      const dir = mkdtempSync(join(tmpdir(), `${label}-sqlite-`));
      const file = join(dir, 'qb.sqlite');
      return {
        storage: { type: 'typeorm', sqlitePath: file },
        cleanup: async () => rmSync(dir, { recursive: true, force: true }),
        query: async <Row>(sql: string) => {
          const db = new Database(file, { readonly: true });
          try {
            return db.prepare(sql).all() as Row[];
          } finally {
            db.close();
          }
        },
      };
    }
    case 'mariadb': {
      const db = await createScratchDatabase(dbLabel(label));
      return {
        storage: { type: 'typeorm', url: db.url },
        url: db.url,
        cleanup: () => db.drop(),
        query: async <Row>(sql: string) => {
          const conn = await mysql.createConnection({ uri: db.url });
          try {
            const [rows] = await conn.query(sql);
            return rows as Row[];
          } finally {
            await conn.end();
          }
        },
      };
    }
    case 'postgres': {
      const db = await createScratchPostgresDatabase(dbLabel(label));
      return {
        storage: { type: 'typeorm', url: db.url },
        url: db.url,
        cleanup: () => db.drop(),
        query: async <Row>(sql: string) => {
          const client = new Client({ connectionString: db.url });
          await client.connect();
          try {
            return (await client.query(sql)).rows as Row[];
          } finally {
            await client.end();
          }
        },
      };
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
