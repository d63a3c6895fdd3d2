import { DataSource, type DataSourceOptions } from 'typeorm';
import { CONNECTION_COLUMNS } from '@quickbooks-auth/nestjs/auth/storage/typeorm/connection-row';
import { TypeOrmTokenStorage } from '@quickbooks-auth/nestjs/auth/storage/typeorm/typeorm-token-storage';
import { runQuickBooksMigrations } from '@quickbooks-auth/nestjs/migrations';
import { QUICKBOOKS_AUTH_ENTITIES } from '@quickbooks-auth/nestjs/auth/storage/typeorm/quickbooks-auth.entities';
import { createScratchDatabase } from '../../test/support/mariadb';
import { createScratchPostgresDatabase, pgPlaceholders } from '../../test/support/postgres';
import { insertConnectionsWithDeadlines } from '../../test/storage/support/deadline-rows';
import { makeCipher } from '../../test/storage/support/storage-fixtures';
import { progress } from '../lib/progress';
import { median, msSince, now, round } from '../lib/stats';
import type { Figure } from '../lib/report';
import type { BenchProfile, SectionResult } from './section';

const DAY = 86_400_000;
const PAGE = 500;
/** The naive way to page the same list: LIMIT/OFFSET over the same order and columns (the floor keyset paging must beat). */
const OFFSET_PAGE =
  `SELECT ${CONNECTION_COLUMNS.replace('access_token_enc, refresh_token_enc, ', '')} FROM quickbooks_connections` +
  " WHERE refresh_token_hard_expires_at IS NOT NULL AND refresh_token_hard_expires_at <= ? AND status IN ('active', 'reauth_pending', 'needs_reauth')" +
  ` ORDER BY refresh_token_hard_expires_at, tenant_id, realm_id LIMIT ${PAGE} OFFSET `;

interface Store {
  name: 'MariaDB' | 'PostgreSQL';
  open(): Promise<{ options: DataSourceOptions; drop(): Promise<void> }>;
  bind(sql: string): string;
  analyze: string;
}

const STORES: Store[] = [
  {
    name: 'MariaDB',
    open: async () => {
      const db = await createScratchDatabase('qbbench_campaign');
      return { options: { type: 'mysql', url: db.url }, drop: db.drop };
    },
    bind: (sql) => sql,
    analyze: 'ANALYZE TABLE quickbooks_connections',
  },
  {
    name: 'PostgreSQL',
    open: async () => {
      const db = await createScratchPostgresDatabase('qbbench_campaign');
      return { options: { type: 'postgres', url: db.url }, drop: db.drop };
    },
    bind: pgPlaceholders,
    analyze: 'ANALYZE quickbooks_connections',
  },
];

/**
 * The reconnect campaign (TokenService.listConnections({ needsReconnectWithinDays })) on the SQL
 * stores: `scaleConnections` rows with hard deadlines spread over 5 years, the whole fleet inside
 * the window. Figures: the walk through every page (keyset, 500 a page) against the same walk with
 * LIMIT/OFFSET on the same server, rows and columns; and the five deepest full pages against the
 * first five (after one warm-up page): keyset pages cost the same however deep the walk is.
 */
export async function benchReconnectCampaign(profile: BenchProfile): Promise<SectionResult> {
  const figures: Figure[] = [];
  const detail: Record<string, unknown> = { rows: profile.scaleConnections, pageSize: PAGE };
  for (const store of STORES) {
    const { options, drop } = await store.open();
    const ds = await new DataSource({ ...options, entities: [...QUICKBOOKS_AUTH_ENTITIES] } as DataSourceOptions).initialize();
    try {
      await runQuickBooksMigrations(ds);
      const t0 = Date.now();
      await insertConnectionsWithDeadlines(ds, store.bind, {
        count: profile.scaleConnections,
        tenants: 997,
        now: Date.now(),
        spreadDays: 5 * 365,
        scramble: true,
      });
      await ds.query(store.analyze);
      progress(`reconnect campaign ${store.name}: ${profile.scaleConnections} rows seeded in ${Date.now() - t0} ms`);
      const storage = new TypeOrmTokenStorage(ds, makeCipher().cipher);
      const before = new Date(Date.now() + 6 * 365 * DAY);
      const rounds: Array<{ keysetMs: number; offsetMs: number; firstPageMs: number; lastPageMs: number; pages: number }> = [];
      for (let r = 0; r < profile.repeats; r++) {
        // Keyset: the storage's own pages, cursor to cursor.
        let cursor: string | null = null;
        const fullPages: number[] = [];
        let pages = 0;
        const walk = now();
        do {
          const start = now();
          const page = await storage.listReconnectDue(before, cursor, PAGE);
          if (page.connections.length === PAGE) fullPages.push(msSince(start));
          pages++;
          cursor = page.nextCursor;
        } while (cursor);
        const keysetMs = msSince(walk);
        // The first five full pages against the last five: flat when each page is an index range.
        const firstPageMs = median(fullPages.slice(1, 6));
        const lastPageMs = median(fullPages.slice(-5));
        // OFFSET: the same rows, the same order, one statement a page.
        const offsetWalk = now();
        for (let offset = 0; ; offset += PAGE) {
          const rows: unknown[] = await ds.query(store.bind(`${OFFSET_PAGE}${offset}`), [before.getTime()]);
          if (rows.length < PAGE) break;
        }
        rounds.push({ keysetMs, offsetMs: msSince(offsetWalk), firstPageMs, lastPageMs, pages });
      }
      const keyset = median(rounds.map((x) => x.keysetMs));
      const offset = median(rounds.map((x) => x.offsetMs));
      const first = median(rounds.map((x) => x.firstPageMs));
      const last = median(rounds.map((x) => x.lastPageMs));
      figures.push(
        {
          section: 'reconnect campaign',
          metric: `${store.name}: walk ${profile.scaleConnections} connections, ${PAGE} a page`,
          value: round(keyset, 1),
          unit: 'ms',
          baseline: round(offset, 1),
          baselineLabel: 'LIMIT/OFFSET walk',
          ratio: round(keyset / offset, 2),
        },
        {
          section: 'reconnect campaign',
          metric: `${store.name}: deepest pages vs first pages`,
          value: round(last, 2),
          unit: 'ms',
          baseline: round(first, 2),
          baselineLabel: 'first pages',
          ratio: round(last / first, 2),
          target: '≤ 2x (flat with depth)',
          met: last / first <= 2,
        },
      );
      detail[store.name] = rounds;
    } finally {
      await ds.destroy();
      await drop();
    }
  }
  return { figures, detail };
}
