import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { describeTokenLifecycle } from './token-lifecycle.suite';

describeTokenLifecycle('Redis', async () => {
  const keyPrefix = `qbtest:${randomBytes(4).toString('hex')}:`;
  const redis = new Redis(process.env.REDIS_URL!);
  const keys = () => redis.keys(`${keyPrefix}*`);
  return {
    storage: { type: 'redis', url: process.env.REDIS_URL!, keyPrefix },
    cleanup: async () => {
      const k = await keys();
      if (k.length) await redis.del(...k);
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
