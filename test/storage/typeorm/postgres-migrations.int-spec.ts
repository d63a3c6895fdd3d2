/**
 * The PostgreSQL migrations on a real server: the schema the entity expects, a second run is a
 * no-op, and deploy jobs starting together are serialized by the advisory lock (no duplicate
 * CREATE, no migration recorded twice).
 */
import { DataSource } from 'typeorm';
import {
  QUICKBOOKS_AUTH_ENTITIES,
  QUICKBOOKS_AUTH_POSTGRES_MIGRATIONS,
  pendingQuickBooksMigrations,
  runQuickBooksMigrations,
} from '@quickbooks-auth/nestjs';
import { createScratchPostgresDatabase } from '../../support/postgres';

const NAMES = QUICKBOOKS_AUTH_POSTGRES_MIGRATIONS.map((M) => new M().name!);

async function openDataSource(url: string): Promise<DataSource> {
  return new DataSource({ type: 'postgres', url, entities: [...QUICKBOOKS_AUTH_ENTITIES] }).initialize();
}

describe('QuickBooks auth migrations on PostgreSQL', () => {
  it('names every migration with a Postgres suffix, oldest first', () => {
    expect(NAMES).toEqual([
      'CreateQuickbooksConnectionsPostgres1767225600000',
      'CreateQuickbooksOauthStatesPostgres1767225700000',
      'AddRefreshProtocolV2Postgres1767225800000',
      'AddPendingRevocationPostgres1767225900000',
      'AddConnectionLifecyclePostgres1767226000000',
      'AddLastUsedPostgres1767226100000',
    ]);
  });

  it('creates both tables with their indexes; a second run applies nothing', async () => {
    const db = await createScratchPostgresDatabase('qb_pgmig');
    const dataSource = await openDataSource(db.url);
    try {
      expect(await pendingQuickBooksMigrations(dataSource)).toEqual(NAMES);
      expect(await runQuickBooksMigrations(dataSource)).toEqual(NAMES);
      expect(await runQuickBooksMigrations(dataSource)).toEqual([]);
      expect(await pendingQuickBooksMigrations(dataSource)).toEqual([]);

      const columns: Array<{ column_name: string; data_type: string }> = await dataSource.query(
        `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'quickbooks_connections'`,
      );
      const types = Object.fromEntries(columns.map((c) => [c.column_name, c.data_type]));
      for (const epochMs of [
        'access_token_expires_at',
        'next_refresh_at',
        'lease_expires_at',
        'inflight_deadline_at',
        'revoke_due_at',
        'created_at',
      ]) {
        expect(types[epochMs]).toBe('bigint');
      }
      expect(types.id).toBe('bigint');
      expect(Object.keys(types)).toEqual(
        expect.arrayContaining(['lease_generation', 'inflight_fp', 'last_error_fp', 'revoke_token_enc', 'revoke_attempts']),
      );

      const indexes: Array<{ indexname: string }> = await dataSource.query(
        `SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename IN ('quickbooks_connections', 'quickbooks_oauth_states')`,
      );
      expect(indexes.map((i) => i.indexname)).toEqual(
        expect.arrayContaining([
          'uq_quickbooks_connections_tenant_realm',
          'idx_quickbooks_connections_due',
          'idx_quickbooks_connections_revoke_due',
          'idx_quickbooks_oauth_states_expires',
        ]),
      );
    } finally {
      await dataSource.destroy();
      await db.drop();
    }
  });

  it('two runs started together do not collide: each migration is applied and recorded once', async () => {
    const db = await createScratchPostgresDatabase('qb_pgmig');
    const sources = await Promise.all([openDataSource(db.url), openDataSource(db.url)]);
    try {
      const [a, b] = await Promise.all(sources.map((s) => runQuickBooksMigrations(s)));
      expect([...a, ...b].sort()).toEqual([...NAMES].sort());
      const recorded: Array<{ name: string }> = await sources[0].query('SELECT name FROM migrations ORDER BY id');
      expect(recorded.map((r) => r.name)).toEqual(NAMES);
      // The advisory lock is released: a later run takes it again at once.
      expect(await runQuickBooksMigrations(sources[1])).toEqual([]);
    } finally {
      await Promise.all(sources.map((s) => s.destroy()));
      await db.drop();
    }
  });
});
