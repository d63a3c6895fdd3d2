import type { ConnectionRef, Lease } from '../../../domain/connection.interface';
import { RECONNECT_LISTED_STATUSES } from '../reconnect-cursor';
import type { ConnectionUse } from '../token-storage.interface';
import { CONNECTION_COLUMNS } from './connection-row';
import type { SqlParam } from './direct-sql';
import type { SqlDialect } from './sql-dialect';

/** One statement as written (`?` placeholders; the runner binds them for its driver) and its values, in order. */
export interface Statement {
  sql: string;
  params: SqlParam[];
}

const TABLE = 'quickbooks_connections';
/** Statuses a lease (and a claim) can be taken on: reauth_pending is leased to be reconciled. */
const LEASABLE = `status IN ('active', 'reauth_pending')`;
/** `lease` (owner, generation) still holds the row: the fence every holder's write checks (I9). */
const HOLDS = 'lease_owner = ? AND lease_generation = ?';
/** Statuses the reconnect campaign lists and warns about: every connection not disconnected. */
const RECONNECT_LISTED = `status IN (${RECONNECT_LISTED_STATUSES.map((st) => `'${st}'`).join(', ')})`;
const NO_INFLIGHT =
  'inflight_fp = NULL, inflight_owner = NULL, inflight_generation = NULL, inflight_started_at = NULL, inflight_deadline_at = NULL';
/** Refreshed ahead by the scheduler, not kept alive only (StorageStats). */
const AHEAD = 'next_refresh_at <= access_token_expires_at';
const DAY_MS = 86_400_000;

/**
 * An earlier holder's call with the stored token, past its deadline or not: the new holder must
 * see it (wait it out, park a refusal), so a claim never begins over it. On a claim every earlier
 * record is another generation's: the claim bumps it.
 */
const EARLIER_CALL_ON_CLAIM = 'inflight_fp IS NOT NULL AND inflight_fp = refresh_token_fp';

/** May a claim or an acquisition begin the call (beginCalls)? Active, and no earlier call with the stored token. */
const MAY_BEGIN_ON_CLAIM = `status = 'active' AND refresh_token_fp IS NOT NULL AND NOT (${EARLIER_CALL_ON_CLAIM})`;

const SELECT_BY_REF = `SELECT ${CONNECTION_COLUMNS} FROM ${TABLE} WHERE tenant_id = ? AND realm_id = ?`;
const SELECT_BY_TENANT = `SELECT ${CONNECTION_COLUMNS} FROM ${TABLE} WHERE tenant_id = ? ORDER BY id`;

/** recordUse in one prepared statement (TokenStorage.recordUse): no version bump, active rows only. */
const RECORD_USE =
  `UPDATE ${TABLE} SET` +
  ' next_refresh_at = CASE WHEN access_token_expires_at = ? AND next_refresh_at > ? THEN ? ELSE next_refresh_at END,' +
  ' last_used_at = CASE WHEN last_used_at IS NULL OR last_used_at < ? THEN ? ELSE last_used_at END' +
  ` WHERE tenant_id = ? AND realm_id = ? AND status = 'active'`;

/** What claimRevocations reads of a row. */
const REVOCATION_COLUMNS = 'id, tenant_id, realm_id, status, revoke_token_enc, revoke_token_fp, revoke_attempts';

/**
 * The WHERE rules (named parameters) of the writes built with TypeORM's query builder, which
 * writes their SET itself from the entity's columns and transformers.
 */
export const BUILT_WHERE = {
  byRef: 'tenant_id = :tenantId AND realm_id = :realmId',
  /** recordFailure: only the lease holder records; status is never touched (I4). */
  holderOfActive: `status = 'active' AND lease_owner = :owner AND lease_generation = :generation`,
  /** markNeedsReauth: only a refused token that is still the stored one, and only by the lease holder (I4, I9). */
  holderOfRefused: `${LEASABLE} AND refresh_token_fp = :fingerprint AND lease_owner = :owner AND lease_generation = :generation`,
  /** markRevoked with a fence: the refused grant is still the stored one. */
  refusedGrant: `status = 'needs_reauth' AND refresh_token_fp = :refusedFingerprint`,
  notRevoked: `status <> 'revoked'`,
  revocationOf: 'revoke_token_fp = :fingerprint',
  sameCiphertexts: 'access_token_enc = :oldAccess AND refresh_token_enc = :oldRefresh',
  sameRevocationCiphertext: 'revoke_token_enc = :old',
} as const;

/** The SET expressions (raw SQL) of the query-builder writes. */
export const BUILT_SET = {
  /**
   * saveConnection: the refresh token it replaces becomes the pending revocation (when there is
   * one and it differs from the new one: parameter `replacedBy`), due at `revokeDueAt`; otherwise
   * the pending revocation is kept. Assigned first: MySQL assigns left to right, and these must
   * read the old refresh token columns.
   */
  retireReplaced: (() => {
    const replaced = 'refresh_token_enc IS NOT NULL AND refresh_token_fp IS NOT NULL AND refresh_token_fp <> :replacedBy';
    return {
      revokeTokenEnc: `CASE WHEN ${replaced} THEN refresh_token_enc ELSE revoke_token_enc END`,
      revokeTokenFingerprint: `CASE WHEN ${replaced} THEN refresh_token_fp ELSE revoke_token_fp END`,
      revokeDueAt: `CASE WHEN ${replaced} THEN :revokeDueAt ELSE revoke_due_at END`,
      revokeAttempts: `CASE WHEN ${replaced} THEN 0 ELSE revoke_attempts END`,
    };
  })(),
  /** markRevokePending: the refresh token (if any) becomes the pending revocation; assigned first (MySQL order). */
  retireCurrent: (() => {
    const hasToken = 'refresh_token_enc IS NOT NULL AND refresh_token_fp IS NOT NULL';
    return {
      revokeTokenEnc: `CASE WHEN ${hasToken} THEN refresh_token_enc ELSE revoke_token_enc END`,
      revokeTokenFingerprint: `CASE WHEN ${hasToken} THEN refresh_token_fp ELSE revoke_token_fp END`,
      revokeAttempts: `CASE WHEN ${hasToken} THEN 1 ELSE revoke_attempts END`,
    };
  })(),
  nextGeneration: 'lease_generation + 1',
  nextVersion: 'version + 1',
  nextRevokeAttempt: 'revoke_attempts + 1',
  revokedIfDisconnecting: `CASE WHEN status = 'revoke_pending' THEN 'revoked' ELSE status END`,
} as const;

/** The values compareAndSwapTokens writes, as bound (sealed tokens through the guard, times as epoch ms). */
export interface SwapValues {
  accessTokenEnc: string;
  refreshTokenEnc: string;
  refreshTokenFingerprint: string;
  accessTokenExpiresAt: number | null;
  refreshTokenExpiresAt: number | null;
  refreshTokenHardExpiresAt: number | null;
  nextRefreshAt: number | null;
}

/** The keyset start of a reconnect page (decoded cursor). */
export interface ReconnectKey {
  hardExpiresAt: number;
  tenantId: string;
  realmId: string;
}

/**
 * Every SQL statement the TypeORM backend writes itself, for one dialect: the storage class runs
 * them by name. Lease times come from the database clock (`nowMs`); TTLs and limits, validated
 * integers, are written into the text (a fixed handful per deployment, so prepared statements stay few).
 *
 * MySQL evaluates the assignments of an UPDATE left to right, each seeing the columns already
 * assigned (SQLite and PostgreSQL see the old row throughout): a SET expression never reads a
 * column assigned before it in the same statement.
 */
export class ConnectionStatements {
  /** MySQL/MariaDB: no UPDATE ... RETURNING (LAST_INSERT_ID and re-reads instead). */
  private readonly mysql: boolean;
  /** Due and not leased by a live owner (the claim adds its status), with `?` for the due time (twice). */
  private readonly dueWithoutStatus: string;

  constructor(private readonly dialect: SqlDialect) {
    this.mysql = !dialect.updateReturning;
    this.dueWithoutStatus = `next_refresh_at <= ? AND (next_attempt_at IS NULL OR next_attempt_at <= ?) AND (lease_owner IS NULL OR lease_expires_at < ${dialect.nowMs})`;
  }

  /** The same UPDATE handing back the row it wrote (SQLite, PostgreSQL). */
  returning(statement: Statement): Statement {
    return { sql: `${statement.sql} RETURNING ${CONNECTION_COLUMNS}`, params: statement.params };
  }

  readByRef(ref: ConnectionRef): Statement {
    return { sql: SELECT_BY_REF, params: [ref.tenantId, ref.realmId] };
  }

  listByTenant(tenantId: string): Statement {
    return { sql: SELECT_BY_TENANT, params: [tenantId] };
  }

  /**
   * Takes the lease (free, ours, or expired) and bumps the generation; MySQL records the new
   * generation with LAST_INSERT_ID. With `begin`, the call is begun in the same write (claimDue
   * beginCalls). MySQL assigns left to right: inflight_owner first, on the old row, and the rest
   * follow it (the owner is new); elsewhere every assignment sees the old row and repeats the condition.
   * `atVersion` (MySQL, on the caller's basis): only while the row is still at that version, so
   * what the UPDATE assigned on top of the basis is the whole row.
   */
  acquireLease(ref: ConnectionRef, owner: string, ttl: number, begin: boolean, atVersion?: number): Statement {
    const now = this.dialect.nowMs;
    const mysql = this.mysql;
    const may = MAY_BEGIN_ON_CLAIM;
    const began = mysql ? 'inflight_owner <=> ?' : may;
    const beginSet = begin
      ? `inflight_owner = CASE WHEN ${may} THEN ? ELSE inflight_owner END,` +
        ` inflight_fp = CASE WHEN ${began} THEN refresh_token_fp ELSE inflight_fp END,` +
        ` inflight_started_at = CASE WHEN ${began} THEN ${now} ELSE inflight_started_at END,` +
        ` inflight_deadline_at = CASE WHEN ${began} THEN ${now} + ${ttl} ELSE inflight_deadline_at END,` +
        ` inflight_generation = CASE WHEN ${began} THEN lease_generation + 1 ELSE inflight_generation END, `
      : '';
    const beginParams = begin ? [owner, ...(mysql ? [owner, owner, owner, owner] : [])] : [];
    const sql =
      `UPDATE ${TABLE} SET ${beginSet}lease_owner = ?, lease_expires_at = ${now} + ${ttl},` +
      ` lease_generation = ${mysql ? 'LAST_INSERT_ID(lease_generation + 1)' : 'lease_generation + 1'}, version = version + 1, updated_at = ${now}` +
      ` WHERE tenant_id = ? AND realm_id = ? AND ${LEASABLE} AND (lease_owner IS NULL OR lease_owner = ? OR lease_expires_at < ${now})` +
      (atVersion === undefined ? '' : ' AND version = ?');
    const versionParams = atVersion === undefined ? [] : [atVersion];
    return { sql, params: [...beginParams, owner, ref.tenantId, ref.realmId, owner, ...versionParams] };
  }

  /** An expired lease can be renewed only while nobody else took it over (the generation says). */
  renewLease(ref: ConnectionRef, lease: Lease, ttl: number): Statement {
    const now = this.dialect.nowMs;
    return {
      sql: `UPDATE ${TABLE} SET lease_expires_at = ${now} + ${ttl}, version = version + 1, updated_at = ${now} WHERE tenant_id = ? AND realm_id = ? AND ${HOLDS}`,
      params: [ref.tenantId, ref.realmId, lease.owner, lease.generation],
    };
  }

  /**
   * The in-flight record goes only if this lease's own call made it (the WHERE pins
   * lease_generation, which this UPDATE never assigns); inflight_generation is assigned last.
   */
  releaseLease(ref: ConnectionRef, lease: Lease): Statement {
    const now = this.dialect.nowMs;
    const mine = 'inflight_generation = lease_generation';
    const sql =
      `UPDATE ${TABLE} SET` +
      ['inflight_fp', 'inflight_owner', 'inflight_started_at', 'inflight_deadline_at', 'inflight_generation']
        .map((col) => ` ${col} = CASE WHEN ${mine} THEN NULL ELSE ${col} END,`)
        .join('') +
      ` lease_owner = NULL, lease_expires_at = NULL, version = version + 1, updated_at = ${now}` +
      ` WHERE tenant_id = ? AND realm_id = ? AND ${HOLDS}`;
    return { sql, params: [ref.tenantId, ref.realmId, lease.owner, lease.generation] };
  }

  /**
   * Records the call about to be sent with `fingerprint`. An earlier holder's call with this very
   * token may still be answered until its deadline: wait it out. refresh_token_fp is pinned
   * non-null by the WHERE, so the NOT never sees NULL.
   */
  beginCall(ref: ConnectionRef, lease: Lease, fingerprint: string, budget: number, ttl: number): Statement {
    const now = this.dialect.nowMs;
    const unresolved =
      'inflight_fp IS NOT NULL AND inflight_fp = refresh_token_fp AND (inflight_generation IS NULL OR inflight_generation <> ?)' +
      ` AND COALESCE(inflight_deadline_at, 0) > ${now}`;
    const sql =
      `UPDATE ${TABLE} SET inflight_fp = ?, inflight_owner = ?, inflight_generation = ?, inflight_started_at = ${now},` +
      ` inflight_deadline_at = ${now} + ${budget}, lease_expires_at = ${now} + ${ttl}, version = version + 1, updated_at = ${now}` +
      ` WHERE tenant_id = ? AND realm_id = ? AND ${HOLDS} AND status = 'active' AND refresh_token_fp = ?` +
      ` AND lease_expires_at >= ${now} + ${budget} AND NOT (${unresolved})`;
    return {
      sql,
      params: [
        fingerprint,
        lease.owner,
        lease.generation,
        ref.tenantId,
        ref.realmId,
        lease.owner,
        lease.generation,
        fingerprint,
        lease.generation,
      ],
    };
  }

  /**
   * Stores a refresh result if the fingerprint is still `expectedFingerprint`. Rotated: the
   * fingerprint fence only, never the generation (these tokens are now the only live ones);
   * revives reauth_pending / needs_reauth for exactly the refused token. Not rotated: active and
   * still our generation, so a late answer never revives a dead token (I9). Another holder's lease
   * is left alone: its beginCall now finds the fingerprint moved.
   *
   * `learn` (MySQL, with the holder's basis): the UPDATE says, through LAST_INSERT_ID, the version
   * it wrote and whether the lease was still ours: `(version * 2) + 1` when it was. Assigned first,
   * so it reads the old version and lease_generation (never assigned here).
   */
  compareAndSwapTokens(
    ref: ConnectionRef,
    expectedFingerprint: string,
    values: SwapValues,
    lease: Lease,
    rotated: boolean,
    learn: boolean,
  ): Statement {
    const now = this.dialect.nowMs;
    const rule = rotated
      ? `(status = 'active' OR (status IN ('reauth_pending', 'needs_reauth') AND last_error_fp = ?))`
      : `status = 'active' AND lease_generation = ?`;
    const version = learn
      ? 'version = LAST_INSERT_ID((version + 1) * 2 + CASE WHEN lease_generation = ? THEN 1 ELSE 0 END) DIV 2'
      : 'version = version + 1';
    const sql =
      `UPDATE ${TABLE} SET ${version}, status = 'active', access_token_enc = ?, refresh_token_enc = ?, refresh_token_fp = ?,` +
      ' access_token_expires_at = ?, refresh_token_expires_at = ?, refresh_token_hard_expires_at = ?, next_refresh_at = ?,' +
      ` failure_count = 0, next_attempt_at = NULL, last_error_code = NULL, last_error_fp = NULL, last_refreshed_at = ${now}, ${NO_INFLIGHT},` +
      ' lease_owner = CASE WHEN lease_generation = ? THEN NULL ELSE lease_owner END,' +
      ' lease_expires_at = CASE WHEN lease_generation = ? THEN NULL ELSE lease_expires_at END,' +
      ` updated_at = ${now}` +
      ` WHERE tenant_id = ? AND realm_id = ? AND refresh_token_fp = ? AND ${rule}`;
    return {
      sql,
      params: [
        ...(learn ? [lease.generation] : []),
        values.accessTokenEnc,
        values.refreshTokenEnc,
        values.refreshTokenFingerprint,
        values.accessTokenExpiresAt,
        values.refreshTokenExpiresAt,
        values.refreshTokenHardExpiresAt,
        values.nextRefreshAt,
        lease.generation,
        lease.generation,
        ref.tenantId,
        ref.realmId,
        expectedFingerprint,
        rotated ? expectedFingerprint : lease.generation,
      ],
    };
  }

  /** -1 matches no expiry: lastUsedAt only. Neither assignment reads the other's column (MySQL order). */
  recordUse(ref: ConnectionRef, use: ConnectionUse): Statement {
    const pull = use.pullForward;
    const usedAt = use.usedAt.getTime();
    return {
      sql: RECORD_USE,
      params: [
        pull ? pull.accessTokenExpiresAt.getTime() : -1,
        pull ? pull.refreshAt.getTime() : 0,
        pull ? pull.refreshAt.getTime() : 0,
        usedAt,
        usedAt,
        ref.tenantId,
        ref.realmId,
      ],
    };
  }

  /**
   * MySQL claim, step 1 (inside a READ COMMITTED transaction): locks the due rows, with the
   * database clock as `db_now`. One ordered index range per status, each stopping at `limit` rows:
   * `status IN (...)` over (status, next_refresh_at) cannot be read in next_refresh_at order, so it
   * sorted every due row on every claim (O(due rows): seconds at a million). `status = ?` is read
   * in (next_refresh_at, id) order straight from the index (InnoDB's secondary index ends in the
   * primary key). Rows the outer LIMIT drops stay locked only until COMMIT, untouched.
   */
  claimDueLock(due: number, limit: number): Statement {
    const part = (status: string) =>
      `(SELECT ${CONNECTION_COLUMNS}, ${this.dialect.nowMs} AS db_now FROM ${TABLE}
          WHERE status = '${status}' AND ${this.dueWithoutStatus}
          ORDER BY next_refresh_at ASC, id ASC LIMIT ?${this.dialect.claimLock})`;
    return {
      sql: `${part('active')} UNION ALL ${part('reauth_pending')} ORDER BY next_refresh_at ASC, id ASC LIMIT ?`,
      params: [due, due, limit, due, due, limit, limit],
    };
  }

  /**
   * MySQL claim, step 2: leases the locked rows, and begins the call on `begunIds`.
   * inflight_owner is assigned first and decides the rest (MySQL assigns left to right; the
   * claim's owner id is new, so no earlier record carries it); lease_generation is already the new one.
   */
  claimDueLease(
    lockedIds: Array<string | number>,
    begunIds: Array<string | number>,
    owner: string,
    leaseExpiresAt: number,
    dbNow: number,
  ): Statement {
    const beginSet = begunIds.length
      ? `, inflight_owner = CASE WHEN id IN (${begunIds.map(() => '?').join(', ')}) THEN ? ELSE inflight_owner END` +
        ', inflight_fp = CASE WHEN inflight_owner <=> ? THEN refresh_token_fp ELSE inflight_fp END' +
        ', inflight_generation = CASE WHEN inflight_owner <=> ? THEN lease_generation ELSE inflight_generation END' +
        ', inflight_started_at = CASE WHEN inflight_owner <=> ? THEN ? ELSE inflight_started_at END' +
        ', inflight_deadline_at = CASE WHEN inflight_owner <=> ? THEN ? ELSE inflight_deadline_at END'
      : '';
    const beginParams = begunIds.length ? [...begunIds, owner, owner, owner, owner, dbNow, owner, leaseExpiresAt] : [];
    return {
      sql:
        `UPDATE ${TABLE} SET lease_owner = ?, lease_expires_at = ?, lease_generation = lease_generation + 1${beginSet}, version = version + 1, updated_at = ?` +
        ` WHERE id IN (${lockedIds.map(() => '?').join(', ')})`,
      params: [owner, leaseExpiresAt, ...beginParams, dbNow, ...lockedIds],
    };
  }

  /**
   * The claim in one UPDATE ... RETURNING (SQLite, PostgreSQL). Every assignment sees the old row
   * here: each one repeats the condition. One ordered index range per status, each stopping at
   * `limit` rows (see claimDueLock): `status IN (...)` made PostgreSQL sort every due row on every
   * claim. Ordered by next_refresh_at alone: its index does not order ties by id, and sorting a tie
   * of a whole fleet due at once is what this avoids. Rows the outer LIMIT drops stay locked only
   * until this statement ends.
   */
  claimDueReturning(due: number, limit: number, owner: string, ttl: number, begin: boolean): Statement {
    const now = this.dialect.nowMs;
    const may = MAY_BEGIN_ON_CLAIM;
    const beginSet = begin
      ? `, inflight_fp = CASE WHEN ${may} THEN refresh_token_fp ELSE inflight_fp END` +
        `, inflight_owner = CASE WHEN ${may} THEN ? ELSE inflight_owner END` +
        `, inflight_generation = CASE WHEN ${may} THEN lease_generation + 1 ELSE inflight_generation END` +
        `, inflight_started_at = CASE WHEN ${may} THEN ${now} ELSE inflight_started_at END` +
        `, inflight_deadline_at = CASE WHEN ${may} THEN ${now} + ${ttl} ELSE inflight_deadline_at END`
      : '';
    const part = (status: string) =>
      `SELECT id, next_refresh_at FROM (SELECT id, next_refresh_at FROM ${TABLE} WHERE status = '${status}' AND ${this.dueWithoutStatus}` +
      ` ORDER BY next_refresh_at LIMIT ?${this.dialect.claimLock}) AS due_${status}`;
    return {
      sql: `UPDATE ${TABLE}
          SET lease_owner = ?, lease_expires_at = ${now} + ${ttl}, lease_generation = lease_generation + 1${beginSet}, version = version + 1, updated_at = ${now}
        WHERE id IN (SELECT id FROM (${part('active')} UNION ALL ${part('reauth_pending')}) AS due ORDER BY next_refresh_at, id LIMIT ?)
        RETURNING ${CONNECTION_COLUMNS}`,
      params: [owner, ...(begin ? [owner] : []), due, due, limit, due, due, limit, limit],
    };
  }

  /** Due (or the one asked for), soonest first: the rule of a revocation claim and its values. */
  private revocationsDue(t: number, only: ConnectionRef | undefined): { where: string; params: SqlParam[] } {
    return only
      ? { where: 'revoke_token_fp IS NOT NULL AND tenant_id = ? AND realm_id = ?', params: [only.tenantId, only.realmId] }
      : { where: 'revoke_token_fp IS NOT NULL AND revoke_due_at <= ?', params: [t] };
  }

  /** SQLite: the revocation claim in one UPDATE ... RETURNING; the claim pushes the due time out to `heldUntil`. */
  claimRevocationsReturning(t: number, heldUntil: number, max: number, only?: ConnectionRef): Statement {
    const due = this.revocationsDue(t, only);
    return {
      sql: `UPDATE ${TABLE} SET revoke_due_at = ?, version = version + 1
            WHERE id IN (SELECT id FROM ${TABLE} WHERE ${due.where} ORDER BY revoke_due_at, id LIMIT ?)
            RETURNING ${REVOCATION_COLUMNS}`,
      params: [heldUntil, ...due.params, max],
    };
  }

  /**
   * PostgreSQL: UPDATE ... FROM the locked picks, so RETURNING can say when each was due
   * (`was_due`: RETURNING order is unspecified, and the claim has just overwritten revoke_due_at).
   * SQLite's RETURNING cannot name a FROM table, hence its own statement.
   */
  claimRevocationsPicked(t: number, heldUntil: number, max: number, only?: ConnectionRef): Statement {
    const due = this.revocationsDue(t, only);
    return {
      sql: `UPDATE ${TABLE} SET revoke_due_at = ?, version = version + 1
            FROM (SELECT id AS picked_id, revoke_due_at AS was_due FROM ${TABLE} WHERE ${due.where} ORDER BY revoke_due_at, id LIMIT ?${this.dialect.claimLock}) AS picked
            WHERE ${TABLE}.id = picked.picked_id
            RETURNING ${REVOCATION_COLUMNS.split(', ')
              .map((c) => `${TABLE}.${c}`)
              .join(', ')}, picked.was_due`,
      params: [heldUntil, ...due.params, max],
    };
  }

  /** MySQL revocation claim, step 1 (in a READ COMMITTED transaction): lock the due rows. */
  claimRevocationsLock(t: number, max: number, only?: ConnectionRef): Statement {
    const due = this.revocationsDue(t, only);
    return {
      sql: `SELECT ${REVOCATION_COLUMNS} FROM ${TABLE} WHERE ${due.where} ORDER BY revoke_due_at, id LIMIT ?${this.dialect.claimLock}`,
      params: [...due.params, max],
    };
  }

  /** MySQL revocation claim, step 2: hold the locked rows until `heldUntil`. */
  claimRevocationsHold(lockedIds: Array<string | number>, heldUntil: number): Statement {
    return {
      sql: `UPDATE ${TABLE} SET revoke_due_at = ?, version = version + 1 WHERE id IN (${lockedIds.map(() => '?').join(', ')})`,
      params: [heldUntil, ...lockedIds],
    };
  }

  /** StorageStats per status, at app time `t` (expiring within `withinMs`); stale leases on the database clock. */
  stats(t: number, withinMs: number): Statement {
    const dbNow = this.dialect.nowMs;
    return {
      sql: `SELECT status, COUNT(*) AS total,
           SUM(CASE WHEN access_token_expires_at < ? AND ${AHEAD} THEN 1 ELSE 0 END) AS expiring,
           SUM(CASE WHEN access_token_expires_at < ? AND ${AHEAD} THEN 1 ELSE 0 END) AS expired,
           MIN(CASE WHEN ${AHEAD} THEN access_token_expires_at END) AS soonest_access,
           MIN(refresh_token_expires_at) AS soonest_refresh,
           SUM(CASE WHEN lease_owner IS NOT NULL AND lease_expires_at < ${dbNow} THEN 1 ELSE 0 END) AS stale
         FROM ${TABLE} GROUP BY status`,
      params: [t + withinMs, t],
    };
  }

  ping(): Statement {
    return { sql: 'SELECT 1', params: [] };
  }

  listRefs(afterId: string, max: number): Statement {
    return { sql: `SELECT id, tenant_id, realm_id FROM ${TABLE} WHERE id > ? ORDER BY id LIMIT ?`, params: [afterId, max] };
  }

  /** idx_quickbooks_connections_realm (realm_id): one index lookup, never a table scan. */
  listRefsByRealm(realmId: string, max: number): Statement {
    return { sql: `SELECT tenant_id, realm_id FROM ${TABLE} WHERE realm_id = ? ORDER BY tenant_id LIMIT ${max}`, params: [realmId] };
  }

  readRevokeToken(ref: ConnectionRef): Statement {
    return { sql: `SELECT revoke_token_enc FROM ${TABLE} WHERE tenant_id = ? AND realm_id = ?`, params: [ref.tenantId, ref.realmId] };
  }

  /** One conditional UPDATE: the replica whose write lands sends the warning, the others see 0 rows. */
  claimReconnectWarning(ref: ConnectionRef, days: number, now: Date): Statement {
    return {
      sql:
        `UPDATE ${TABLE} SET reconnect_warned_days = ? WHERE tenant_id = ? AND realm_id = ? AND ${RECONNECT_LISTED}` +
        ' AND refresh_token_hard_expires_at IS NOT NULL AND refresh_token_hard_expires_at <= ?' +
        ' AND (reconnect_warned_days IS NULL OR reconnect_warned_days > ?)',
      params: [days, ref.tenantId, ref.realmId, now.getTime() + days * DAY_MS, days],
    };
  }

  /**
   * Keyset paging on idx_quickbooks_connections_hard_expiry (hard expiry, tenant, realm): each
   * page is one index range scan, however deep the campaign goes. Tokens are not selected.
   * PostgreSQL and SQLite start the range at a row-value comparison (an OR chain would make
   * PostgreSQL read the index from its start and filter); MySQL/MariaDB plan the OR chain as a range.
   */
  listReconnectDue(before: Date, after: ReconnectKey | null, max: number): Statement {
    const rowValues = this.dialect.kind !== 'typeorm-mysql';
    const keyset = !after
      ? ''
      : rowValues
        ? ' AND (refresh_token_hard_expires_at, tenant_id, realm_id) > (?, ?, ?)'
        : ' AND (refresh_token_hard_expires_at > ? OR (refresh_token_hard_expires_at = ? AND (tenant_id > ? OR (tenant_id = ? AND realm_id > ?))))';
    const params: SqlParam[] = [before.getTime()];
    if (after && rowValues) params.push(after.hardExpiresAt, after.tenantId, after.realmId);
    else if (after) params.push(after.hardExpiresAt, after.hardExpiresAt, after.tenantId, after.tenantId, after.realmId);
    return {
      sql:
        `SELECT ${CONNECTION_COLUMNS.replace('access_token_enc, refresh_token_enc, ', '')} FROM ${TABLE}` +
        ` WHERE refresh_token_hard_expires_at IS NOT NULL AND refresh_token_hard_expires_at <= ?${keyset} AND ${RECONNECT_LISTED}` +
        ` ORDER BY refresh_token_hard_expires_at, tenant_id, realm_id LIMIT ${max}`,
      params,
    };
  }
}

const byDialect = new Map<SqlDialect, ConnectionStatements>();

/** The statements of one dialect, built once. */
export function connectionStatementsFor(dialect: SqlDialect): ConnectionStatements {
  let statements = byDialect.get(dialect);
  if (!statements) {
    statements = new ConnectionStatements(dialect);
    byDialect.set(dialect, statements);
  }
  return statements;
}
