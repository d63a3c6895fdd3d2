import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { Clock } from '../utils/clock';
import type { ApiCallCategory } from './api-call-category';
import type { SharedPermitAnswer, SharedPermits } from './shared-permits';

/**
 * One atomic step per call start: drop expired leases and window entries, refuse while the realm
 * is paused, at its concurrency or at its rolling-window limit, else take a lease and count the start.
 * KEYS: leases (zset member → lease end), starts (zset member → start), pause (string until).
 * ARGV: now, leaseMs, windowMs, maxConcurrent, maxPerWindow, member, pollMs.
 * Answers {1, 0} or {0, retryAt}.
 */
const TRY_START = `
local now = tonumber(ARGV[1])
local leaseMs = tonumber(ARGV[2])
local windowMs = tonumber(ARGV[3])
local paused = tonumber(redis.call('GET', KEYS[3]) or '0')
if paused > now then return {0, paused} end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - windowMs)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then return {0, now + tonumber(ARGV[7])} end
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[5]) then
  local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  return {0, tonumber(oldest[2]) + windowMs}
end
redis.call('ZADD', KEYS[1], now + leaseMs, ARGV[6])
redis.call('ZADD', KEYS[2], now, ARGV[6])
redis.call('PEXPIRE', KEYS[1], leaseMs + windowMs)
redis.call('PEXPIRE', KEYS[2], windowMs * 2)
return {1, 0}
`;

/** Moves the pause end later, never earlier. KEYS: pause. ARGV: until, ttlMs. */
const PAUSE = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > current then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end
return 1
`;

/** Settings of the shared limiter, from the resolved governor options. */
export interface RedisSharedPermitsSettings {
  keyPrefix: string;
  instanceId: string;
  maxConcurrent: number;
  maxPerWindow: number;
  windowMs: number;
  /** A replica that dies holding a lease frees it after this long (its calls' longest possible life). */
  leaseMs: number;
}

/** A month's meter outlives its month by a few days, for late scrapes. */
const METER_TTL_SECONDS = 40 * 86_400;

/** How long to log a Redis failure only once (real ms). */
const WARN_EVERY_MS = 60_000;

/**
 * The per-realm limits in Redis, for every replica at once: a sorted set of leases (in flight)
 * and one of start times (the rolling minute) per realm, changed only by Lua scripts so two
 * replicas can never both take the last slot. Scores are the module clock's, so replicas' clocks
 * must agree (NTP) to well under the second of margin in the window.
 * When Redis cannot be reached each replica falls back to its own limits (fail open, logged).
 * It also keeps the app-wide monthly call meter: one hash per month, counted by every replica.
 */
export class RedisSharedPermits implements SharedPermits {
  private readonly logger = new Logger('ApiGovernor');
  private seq = 0;
  private lastWarnAt = 0;

  constructor(
    private readonly redis: Redis,
    private readonly settings: RedisSharedPermitsSettings,
    private readonly clock: Clock,
    private readonly ownsClient: boolean,
  ) {
    // Our own client's connection errors are logged (once a minute), not left as unhandled events.
    if (ownsClient) redis.on('error', (err: unknown) => this.warn(err));
  }

  async tryStart(realmKey: string, now: number): Promise<SharedPermitAnswer> {
    const member = `${this.settings.instanceId}:${++this.seq}`;
    const [leases, starts, pause] = this.keys(realmKey);
    const s = this.settings;
    // Another replica's lease ends without a word to us: ask again in ~20 real ms.
    const pollMs = 20 * (this.clock.speed && this.clock.speed > 0 ? this.clock.speed : 1);
    let answer: [number, number];
    try {
      answer = (await this.redis.eval(
        TRY_START,
        3,
        leases,
        starts,
        pause,
        now,
        s.leaseMs,
        s.windowMs,
        s.maxConcurrent,
        s.maxPerWindow,
        member,
        pollMs,
      )) as [number, number];
    } catch (err) {
      this.warn(err);
      return { granted: true, release: () => undefined };
    }
    if (Number(answer[0]) !== 1) return { granted: false, retryAt: Number(answer[1]) };
    return {
      granted: true,
      release: () => {
        this.redis.zrem(leases, member).catch((err: unknown) => this.warn(err));
      },
    };
  }

  async pause(realmKey: string, until: number): Promise<void> {
    const ttl = Math.max(1000, Math.ceil(until - this.clock.now()) + 1000);
    await this.redis.eval(PAUSE, 1, this.keys(realmKey)[2], until, ttl).catch((err: unknown) => this.warn(err));
  }

  countCall(month: string, category: ApiCallCategory): void {
    const key = this.meterKey(month);
    this.redis
      .multi()
      .hincrby(key, category, 1)
      .expire(key, METER_TTL_SECONDS)
      .exec()
      .catch((err: unknown) => this.warn(err));
  }

  async monthCalls(month: string): Promise<Record<ApiCallCategory, number> | null> {
    try {
      const [coreplus, core] = await this.redis.hmget(this.meterKey(month), 'coreplus', 'core');
      return { coreplus: Number(coreplus ?? 0), core: Number(core ?? 0) };
    } catch (err) {
      this.warn(err);
      return null;
    }
  }

  async close(): Promise<void> {
    if (!this.ownsClient) return;
    // QUIT waits for a connection that may never come; a client that is not ready just stops reconnecting.
    if (this.redis.status === 'ready') await this.redis.quit().catch(() => this.redis.disconnect());
    else this.redis.disconnect();
  }

  private meterKey(month: string): string {
    return `${this.settings.keyPrefix}meter:${month}`;
  }

  /** One hash tag per realm, so a Redis Cluster keeps a realm's keys on one shard. */
  private keys(realmKey: string): [string, string, string] {
    const base = `${this.settings.keyPrefix}{${realmKey}}`;
    return [`${base}:leases`, `${base}:starts`, `${base}:pause`];
  }

  private warn(err: unknown): void {
    const now = Date.now();
    if (now - this.lastWarnAt < WARN_EVERY_MS) return;
    this.lastWarnAt = now;
    // ioredis messages name the host and command, never a password or a token.
    this.logger.warn(
      `shared API limiter (Redis) failed, each replica keeps its own limits meanwhile: ${(err as Error)?.message ?? 'unknown error'}`,
    );
  }
}
