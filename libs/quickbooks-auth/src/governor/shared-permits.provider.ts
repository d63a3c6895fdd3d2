import type { Provider } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { ResolvedQuickBooksAuthOptions } from '../config/resolved-options';
import { QUICKBOOKS_AUTH_RESOLVED_OPTIONS } from '../quickbooks-auth.constants';
import { GOVERNOR_WINDOW_MS } from './governor-window';
import { RedisSharedPermits } from './redis-shared-permits';
import type { SharedPermits } from './shared-permits';

/** Injection token of the shared limiter (null: per-process limits only). @internal */
export const QUICKBOOKS_SHARED_PERMITS = Symbol('QUICKBOOKS_SHARED_PERMITS');

/** Builds the shared limiter `apiGovernor.shared` asks for, or null. @internal */
export const sharedPermitsProvider: Provider = {
  provide: QUICKBOOKS_SHARED_PERMITS,
  inject: [QUICKBOOKS_AUTH_RESOLVED_OPTIONS],
  useFactory: (o: ResolvedQuickBooksAuthOptions): SharedPermits | null => {
    const g = o.apiGovernor;
    if (!g.enabled || !g.shared) return null;
    const owns = !g.shared.client;
    // ioredis is an optional peer: loaded only when a shared limiter is configured.
    const loadRedis = (): typeof import('ioredis').default => require('ioredis'); // eslint-disable-line @typescript-eslint/no-require-imports
    const redis =
      (g.shared.client as Redis | undefined) ?? new (loadRedis())(g.shared.url as string, { maxRetriesPerRequest: 1, lazyConnect: false });
    return new RedisSharedPermits(
      redis,
      {
        keyPrefix: g.shared.keyPrefix ?? 'qb:gov:',
        instanceId: o.instanceId,
        maxConcurrent: g.maxConcurrentPerRealm,
        maxPerWindow: g.maxRequestsPerMinutePerRealm,
        windowMs: GOVERNOR_WINDOW_MS,
        leaseMs: o.http.connectTimeoutMs + o.http.socketTimeoutMs,
      },
      o.clock,
      owns,
    );
  },
};
