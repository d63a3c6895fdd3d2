import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { RedisTokenStorage } from '@quickbooks-auth/nestjs/auth/storage/redis/redis-token-storage';
import { RedisKeys } from '@quickbooks-auth/nestjs/auth/storage/redis/redis-keys';
import { cipherFor, describeTokenStorageConformance, type TokenColumn } from '@quickbooks-auth/nestjs/testing';

// Real Redis (REDIS_URL). Each test gets its own key prefix and deletes only that: never FLUSHALL.
const FIELD = { access_token: 'accessTokenEnc', refresh_token: 'refreshTokenEnc' } as const;

let redis: Redis;
beforeAll(() => {
  redis = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: 1 });
});
afterAll(async () => {
  await redis.quit();
});

async function keysUnder(prefix: string): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`, 'COUNT', 500);
    out.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return out;
}

describeTokenStorageConformance('redis', async (keysSpec) => {
  const prefix = `qbconf:${Date.now().toString(36)}${randomBytes(4).toString('hex')}:`;
  const keys = new RedisKeys(prefix);
  return {
    storage: new RedisTokenStorage(redis, cipherFor(keysSpec), { keyPrefix: prefix }),
    raw: {
      dump: async () => {
        const values: string[] = [];
        for (const key of await keysUnder(prefix)) {
          const type = await redis.type(key);
          if (type === 'hash') values.push(...Object.values(await redis.hgetall(key)));
          else if (type === 'set') values.push(...(await redis.smembers(key)));
          else if (type === 'zset') values.push(...(await redis.zrange(key, 0, -1)));
        }
        return values;
      },
      tamper: async (ref, field: TokenColumn, mutate) => {
        const key = keys.connection(ref);
        await redis.hset(key, FIELD[field], mutate((await redis.hget(key, FIELD[field]))!));
      },
      copyField: async (from, to, field: TokenColumn) => {
        await redis.hset(keys.connection(to), FIELD[field], (await redis.hget(keys.connection(from), FIELD[field]))!);
      },
      swapFields: async (ref) => {
        const key = keys.connection(ref);
        const [access, refresh] = await redis.hmget(key, FIELD.access_token, FIELD.refresh_token);
        await redis.hset(key, FIELD.access_token, refresh!, FIELD.refresh_token, access!);
      },
    },
    reopenWithKeys: async (spec) => new RedisTokenStorage(redis, cipherFor(spec), { keyPrefix: prefix }),
    cleanup: async () => {
      const all = await keysUnder(prefix);
      if (all.length) await redis.del(...all);
    },
  };
});
