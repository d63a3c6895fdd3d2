import type { ConnectionRef } from '../../../domain/connection.interface';

/**
 * Key layout (prefix defaults to `qb:`). Tenant and realm ids are percent-encoded, so an id
 * holding `:`, `{`, `*`, spaces or newlines can never collide with another key or pattern.
 *
 *   {prefix}t:{tenant}:conn:{realm}   hash, one connection (every StoredConnection field)
 *   {prefix}t:{tenant}:conns          set of realm ids of one tenant (listByTenant)
 *   {prefix}refs                      sorted set (score 0) of members, ordered for listRefs paging
 *   {prefix}due                       sorted set of active and reauth_pending members, score = when claimDue may look at it
 *   {prefix}revocations               sorted set of members with a pending revocation, score = when claimRevocations may hand it out
 *
 * A member is `{tenant}:{realm}` (both encoded): the only unencoded `:` separates them.
 */
export class RedisKeys {
  constructor(readonly prefix: string) {}

  static encode(id: string): string {
    // encodeURIComponent leaves ! ' ( ) * unescaped; escape them too so glob patterns stay inert.
    return encodeURIComponent(id).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  }

  member(ref: ConnectionRef): string {
    return `${RedisKeys.encode(ref.tenantId)}:${RedisKeys.encode(ref.realmId)}`;
  }

  connection(ref: ConnectionRef): string {
    return `${this.prefix}t:${RedisKeys.encode(ref.tenantId)}:conn:${RedisKeys.encode(ref.realmId)}`;
  }

  tenantIndex(tenantId: string): string {
    return `${this.prefix}t:${RedisKeys.encode(tenantId)}:conns`;
  }

  get refs(): string {
    return `${this.prefix}refs`;
  }

  get due(): string {
    return `${this.prefix}due`;
  }

  get revocations(): string {
    return `${this.prefix}revocations`;
  }

  parseMember(member: string): ConnectionRef {
    const sep = member.indexOf(':');
    return { tenantId: decodeURIComponent(member.slice(0, sep)), realmId: decodeURIComponent(member.slice(sep + 1)) };
  }
}
