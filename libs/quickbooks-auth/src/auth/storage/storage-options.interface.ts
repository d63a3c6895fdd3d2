import type { DataSource } from 'typeorm';
import type { TokenStorage } from './token-storage.interface';

/** TypeORM on MySQL/MariaDB, PostgreSQL or SQLite: pass the host's DataSource, or a URL/path and the module opens its own. */
export interface TypeOrmStorageOptions {
  type: 'typeorm';
  /** The host's DataSource (recommended: reuses its pool). Must have the module's entity/migrations. */
  dataSource?: DataSource;
  /** `mysql://user:pass@host:3306/db` or `postgres://user:pass@host:5432/db` — the module opens and closes its own DataSource. */
  url?: string;
  /** SQLite file (embedded default) — the module opens its own DataSource. */
  sqlitePath?: string;
  /**
   * Run the module's migrations at startup: default true on a DataSource the module opened,
   * false on the host's (list QUICKBOOKS_AUTH_MYSQL_MIGRATIONS or QUICKBOOKS_AUTH_POSTGRES_MIGRATIONS in its `migrations`, or set true).
   */
  migrationsRun?: boolean;
}

/**
 * The ioredis client a host may pass: an `ioredis` `Redis` instance (not a Cluster). Structural,
 * so these typings compile in hosts that do not install ioredis (it is an optional peer).
 * @publicApi
 */
export interface QuickBooksRedisClient {
  readonly status: string;
  readonly options: { keyPrefix?: string };
  /** Used by the start-up probe and the health indicator. */
  ping(): Promise<string>;
  /** Called on shutdown only for a client the module created itself. */
  quit(): Promise<unknown>;
}

/** One durable Redis primary (not Cluster): `appendonly yes`, `appendfsync always` when it is the system of record. */
export interface RedisStorageOptions {
  type: 'redis';
  /** Your ioredis client (kept open on shutdown). Do not set its own `keyPrefix`. */
  client?: QuickBooksRedisClient;
  /** `redis://…` — the module opens and closes its own client. */
  url?: string;
  /** Prefix of every key (default `qb:`). */
  keyPrefix?: string;
}

/** AES-256-GCM encrypted files in one directory: one host only (no NFS/SMB). */
export interface FileStorageOptions {
  type: 'file';
  /** Directory for the connection files (created with mode 0700). */
  directory: string;
}

/** In process memory: tests and throw-away demos; one process, lost on restart. */
export interface MemoryStorageOptions {
  type: 'memory';
}

/** Bring your own TokenStorage implementation (it must pass describeTokenStorageConformance from @quickbooks-auth/nestjs/testing). */
export interface CustomStorageOptions {
  type: 'custom';
  storage: TokenStorage;
}

/** Which backend stores connections; see docs/storage-backends.md. */
export type StorageOptions = TypeOrmStorageOptions | RedisStorageOptions | FileStorageOptions | MemoryStorageOptions | CustomStorageOptions;
