import Redis from 'ioredis';
import type { RedisStorageOptions } from '@quickbooks-auth/nestjs';
import { openScratchStore } from '../support/scratch-stores';
import { describeTokenLifecycle } from './token-lifecycle.suite';

describeTokenLifecycle('Redis', async () => {
  const store = await openScratchStore('redis', 'qbtest');
  const { keyPrefix } = store.storage as RedisStorageOptions;
  const redis = new Redis(process.env.REDIS_URL!);
  const keys = () => redis.keys(`${keyPrefix}*`);
  return {
    storage: store.storage,
    cleanup: async () => {
      await store.cleanup();
      await redis.quit();
    },
    rawDump: async () => {
      const out: unknown[] = [];
      for (const k of await keys()) {
        const type = await redis.type(k);
        if (type === 'hash') out.push(await redis.hgetall(k));
        else if (type === 'string') out.push(await redis.get(k));
        else if (type === 'zset') out.push(await redis.zrange(k, 0, -1, 'WITHSCORES'));
        else if (type === 'set') out.push(await redis.smembers(k));
      }
      return JSON.stringify(out);
    },
  };
});
