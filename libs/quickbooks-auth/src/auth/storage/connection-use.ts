import type { ConnectionStatus } from '../../domain/connection.interface';
import type { ConnectionUse } from './token-storage.interface';

/** The fields recordUse reads and writes, as epoch ms (memory and file backends). */
export interface UseFields {
  status: ConnectionStatus;
  accessTokenExpiresAt: number;
  nextRefreshAt: number;
  lastUsedAt: number | null;
}

/**
 * What recordUse changes on one connection, or null when nothing changes: the same rule the SQL
 * and Lua versions of recordUse write in one statement (TokenStorage.recordUse).
 */
export function connectionUseChanges(row: UseFields, use: ConnectionUse): Partial<Pick<UseFields, 'lastUsedAt' | 'nextRefreshAt'>> | null {
  if (row.status !== 'active') return null;
  const changes: Partial<Pick<UseFields, 'lastUsedAt' | 'nextRefreshAt'>> = {};
  const usedAt = use.usedAt.getTime();
  if (row.lastUsedAt === null || row.lastUsedAt < usedAt) changes.lastUsedAt = usedAt;
  const pull = use.pullForward;
  if (pull && row.accessTokenExpiresAt === pull.accessTokenExpiresAt.getTime() && row.nextRefreshAt > pull.refreshAt.getTime()) {
    changes.nextRefreshAt = pull.refreshAt.getTime();
  }
  return Object.keys(changes).length ? changes : null;
}
