import type { ValueTransformer } from 'typeorm';

/**
 * Dates live in BIGINT columns as UTC epoch milliseconds: the same exact value on MySQL and
 * SQLite, no session time zone or driver date conversion involved, and DB-clock lease math is
 * plain integer arithmetic. mysql2 returns BIGINT as a string, better-sqlite3 as a number.
 */
export const epochMsTransformer: ValueTransformer = {
  to(value: unknown): number | null | undefined {
    if (value === null || value === undefined) return value;
    if (value instanceof Date) return value.getTime();
    if (typeof value === 'number') return value;
    throw new TypeError('epoch-ms column expects a Date');
  },
  from(value: unknown): Date | null {
    if (value === null || value === undefined) return null;
    return new Date(Number(value));
  },
};
