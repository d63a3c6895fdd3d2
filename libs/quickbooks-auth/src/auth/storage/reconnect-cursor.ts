import { StorageError } from '../../errors/storage.error';
import type { ConnectionRef } from '../../domain/connection.interface';

/** Where a listReconnectDue page ended: the last row's hard expiry (epoch ms), tenant and realm. */
export interface ReconnectCursor extends ConnectionRef {
  hardExpiresAt: number;
}

/** Opaque to callers (base64url JSON), the same in every backend. */
export function encodeReconnectCursor(c: ReconnectCursor): string {
  return Buffer.from(JSON.stringify([c.hardExpiresAt, c.tenantId, c.realmId]), 'utf8').toString('base64url');
}

/** The cursor a previous page returned; StorageError invalid_cursor for anything else (I8). */
export function decodeReconnectCursor(cursor: string | null): ReconnectCursor | null {
  if (cursor === null) return null;
  const bad = () => new StorageError('listReconnectDue cursor is not one this storage returned', 'invalid_cursor');
  if (typeof cursor !== 'string' || cursor.length > 1024 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw bad();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) throw bad();
  const [hardExpiresAt, tenantId, realmId] = parsed as unknown[];
  if (!Number.isSafeInteger(hardExpiresAt) || typeof tenantId !== 'string' || typeof realmId !== 'string') throw bad();
  return { hardExpiresAt: hardExpiresAt as number, tenantId, realmId };
}

/** Sort order of the campaign: hard expiry, then tenant, then realm (code-unit order, as the SQL binary collations). */
export function compareReconnectOrder(a: ReconnectCursor, b: ReconnectCursor): number {
  if (a.hardExpiresAt !== b.hardExpiresAt) return a.hardExpiresAt - b.hardExpiresAt;
  if (a.tenantId !== b.tenantId) return a.tenantId < b.tenantId ? -1 : 1;
  if (a.realmId !== b.realmId) return a.realmId < b.realmId ? -1 : 1;
  return 0;
}

/** Statuses a reconnect campaign lists: every connection that is not disconnected. */
export const RECONNECT_LISTED_STATUSES = ['active', 'reauth_pending', 'needs_reauth'] as const;

/** The horizon must be a whole number of days the SQL can take as a literal-free parameter. */
export function assertValidHorizonDays(days: number): number {
  if (!Number.isInteger(days) || days < 1 || days > 3650)
    throw new StorageError('horizonDays must be an integer between 1 and 3650', 'invalid_horizon');
  return days;
}
