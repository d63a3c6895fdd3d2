import { CreateQuickbooksConnectionsMysql1767225600000 } from './1767225600000-create-quickbooks-connections.mysql';
import { CreateQuickbooksConnectionsSqlite1767225600000 } from './1767225600000-create-quickbooks-connections.sqlite';
import { CreateQuickbooksOauthStatesMysql1767225700000 } from './1767225700000-create-quickbooks-oauth-states.mysql';
import { CreateQuickbooksOauthStatesSqlite1767225700000 } from './1767225700000-create-quickbooks-oauth-states.sqlite';
import { AddRefreshProtocolV2Mysql1767225800000 } from './1767225800000-add-refresh-protocol-v2.mysql';
import { AddRefreshProtocolV2Sqlite1767225800000 } from './1767225800000-add-refresh-protocol-v2.sqlite';
import { AddPendingRevocationMysql1767225900000 } from './1767225900000-add-pending-revocation.mysql';
import { AddPendingRevocationSqlite1767225900000 } from './1767225900000-add-pending-revocation.sqlite';
import { CreateQuickbooksConnectionsPostgres1767225600000 } from './1767225600000-create-quickbooks-connections.postgres';
import { CreateQuickbooksOauthStatesPostgres1767225700000 } from './1767225700000-create-quickbooks-oauth-states.postgres';
import { AddRefreshProtocolV2Postgres1767225800000 } from './1767225800000-add-refresh-protocol-v2.postgres';
import { AddPendingRevocationPostgres1767225900000 } from './1767225900000-add-pending-revocation.postgres';
import { AddConnectionLifecycleMysql1767226000000 } from './1767226000000-add-connection-lifecycle.mysql';
import { AddConnectionLifecycleSqlite1767226000000 } from './1767226000000-add-connection-lifecycle.sqlite';
import { AddConnectionLifecyclePostgres1767226000000 } from './1767226000000-add-connection-lifecycle.postgres';
import { AddLastUsedMysql1767226100000 } from './1767226100000-add-last-used.mysql';
import { AddLastUsedSqlite1767226100000 } from './1767226100000-add-last-used.sqlite';
import { AddLastUsedPostgres1767226100000 } from './1767226100000-add-last-used.postgres';

/** Migration classes (no globs), oldest first: pass to DataSource `migrations` or use runQuickBooksMigrations. */
export const QUICKBOOKS_AUTH_MYSQL_MIGRATIONS = [
  CreateQuickbooksConnectionsMysql1767225600000,
  CreateQuickbooksOauthStatesMysql1767225700000,
  AddRefreshProtocolV2Mysql1767225800000,
  AddPendingRevocationMysql1767225900000,
  AddConnectionLifecycleMysql1767226000000,
  AddLastUsedMysql1767226100000,
];
/** The same schema for SQLite (better-sqlite3), oldest first. */
export const QUICKBOOKS_AUTH_SQLITE_MIGRATIONS = [
  CreateQuickbooksConnectionsSqlite1767225600000,
  CreateQuickbooksOauthStatesSqlite1767225700000,
  AddRefreshProtocolV2Sqlite1767225800000,
  AddPendingRevocationSqlite1767225900000,
  AddConnectionLifecycleSqlite1767226000000,
  AddLastUsedSqlite1767226100000,
];
/** The same schema for PostgreSQL (pg), oldest first. */
export const QUICKBOOKS_AUTH_POSTGRES_MIGRATIONS = [
  CreateQuickbooksConnectionsPostgres1767225600000,
  CreateQuickbooksOauthStatesPostgres1767225700000,
  AddRefreshProtocolV2Postgres1767225800000,
  AddPendingRevocationPostgres1767225900000,
  AddConnectionLifecyclePostgres1767226000000,
  AddLastUsedPostgres1767226100000,
];
