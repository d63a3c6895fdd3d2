import { CreateQuickbooksConnectionsMysql1767225600000 } from './1767225600000-create-quickbooks-connections.mysql';
import { CreateQuickbooksConnectionsSqlite1767225600000 } from './1767225600000-create-quickbooks-connections.sqlite';

/** Migration classes (no globs), oldest first: pass to DataSource `migrations` or use runQuickBooksMigrations. */
export const QUICKBOOKS_AUTH_MYSQL_MIGRATIONS = [CreateQuickbooksConnectionsMysql1767225600000];
export const QUICKBOOKS_AUTH_SQLITE_MIGRATIONS = [CreateQuickbooksConnectionsSqlite1767225600000];
