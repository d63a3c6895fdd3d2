/**
 * A host passes its own ioredis client (`storage.client`, typed structurally so the typings do not
 * need ioredis): the module stores through it and leaves it open on shutdown.
 */
import Redis from 'ioredis';
import { connectTenant, startHarness } from '../../support/quickbooks-harness';

describe('redis storage on the host’s ioredis client', () => {
  it('connects a realm through the host client and keeps that client open after the app closes', async () => {
    const client = new Redis(process.env.REDIS_URL!);
    const keyPrefix = `qb-host-client-${Date.now().toString(36)}:`;
    try {
      const h = await startHarness({ storage: { type: 'redis', client, keyPrefix } });
      const realmId = await connectTenant(h, 'tenant-host-client');
      await h.close();
      expect(client.status).toBe('ready');
      expect(await client.exists(...(await client.keys(`${keyPrefix}*`)))).toBeGreaterThan(0);
      expect(realmId).toMatch(/^\d+$/);
    } finally {
      const keys = await client.keys(`${keyPrefix}*`);
      if (keys.length) await client.del(...keys);
      await client.quit();
    }
  });
});
