import type { DataSource } from 'typeorm';
import { z } from 'zod';
import type { TokenStorage } from '../../auth/storage/token-storage.interface';
import type { QuickBooksRedisClient } from '../../auth/storage/storage-options.interface';
import { envBindings, fromEnv, fromText } from './env-binding';
import { addSentence, hostValue } from './option-fields';

const optionalString = () => z.string({ error: 'must be a string' }).optional();

const typeorm = z
  .object({
    type: z.literal('typeorm'),
    dataSource: z.custom<DataSource>().optional(),
    url: fromEnv(optionalString(), 'DATABASE_URL', fromText.string, 'QB_SQLITE_PATH'),
    sqlitePath: fromEnv(optionalString(), 'QB_SQLITE_PATH', fromText.path),
    migrationsRun: z.boolean({ error: 'must be a boolean' }).optional(),
  })
  .superRefine((s, ctx) => {
    if (!s.dataSource && !s.url && !s.sqlitePath) {
      addSentence(
        ctx,
        [],
        '{storage} needs a dataSource, url or sqlitePath for typeorm storage',
        '{storage.url} or {storage.sqlitePath} is required when {storage}=typeorm',
      );
    }
  });

const redis = z
  .object({
    type: z.literal('redis'),
    client: z.custom<QuickBooksRedisClient>().optional(),
    url: fromEnv(optionalString(), 'REDIS_URL'),
    keyPrefix: fromEnv(optionalString(), 'QB_REDIS_KEY_PREFIX'),
  })
  .superRefine((s, ctx) => {
    if (!s.client && !s.url)
      addSentence(
        ctx,
        [],
        '{storage.client} or {storage.url} is required for redis storage',
        '{storage.url} is required when {storage}=redis',
      );
  });

const directoryRequired = { error: 'is required for file storage' };
const file = z.object({
  type: z.literal('file'),
  directory: fromEnv(
    z.string(directoryRequired).refine((d) => d !== '', directoryRequired),
    'QB_FILE_STORAGE_DIR',
    fromText.path,
  ),
});

const memory = z.object({ type: z.literal('memory') });

const custom = z.object({
  type: z.literal('custom'),
  storage: hostValue<TokenStorage>(Boolean, 'is required for custom storage'),
});

export const STORAGE_TYPES = ['typeorm', 'redis', 'file', 'memory', 'custom'] as const;

/** `storage`: which backend, and where. `QB_STORAGE` picks the variant (default typeorm). */
export const storageOptionsSchema = z
  .discriminatedUnion('type', [typeorm, redis, file, memory, custom], {
    error: (issue) =>
      issue.input === undefined ? `is required (type ${STORAGE_TYPES.join(', ')})` : `must be one of ${STORAGE_TYPES.join(', ')}`,
  })
  .register(envBindings, { kind: 'choice', env: 'QB_STORAGE', fallback: 'typeorm', choices: ['typeorm', 'redis', 'file', 'memory'] });
