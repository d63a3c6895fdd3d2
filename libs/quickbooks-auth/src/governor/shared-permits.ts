import type { ApiCallCategory } from './api-call-category';

/** What a shared limiter answers when asked to start one call on a realm. */
export type SharedPermitAnswer = { granted: true; release: () => void } | { granted: false; retryAt: number };

/**
 * A limiter every replica consults before a call starts, so a realm's limits hold app-wide.
 * The per-process limits still apply on top (they can only make a replica more careful).
 */
export interface SharedPermits {
  /** Start one call on `realmKey` at `now` (clock ms) if the app-wide limits allow; else when to ask again. */
  tryStart(realmKey: string, now: number): Promise<SharedPermitAnswer>;
  /** Pause `realmKey` for every replica until `until` (clock ms): Intuit throttled it. */
  pause(realmKey: string, until: number): Promise<void>;
  /** Counts one call that reached Intuit in the app-wide meter of `month` (`2026-12`); never throws. */
  countCall(month: string, category: ApiCallCategory): void;
  /** The app-wide counts of `month`, or null when the store cannot say. */
  monthCalls(month: string): Promise<Record<ApiCallCategory, number> | null>;
  /** Closes what the limiter opened. */
  close(): Promise<void>;
}
