import type { Logger as TypeOrmLogger } from 'typeorm';

/**
 * A TypeORM logger that counts every statement sent to the database (TypeORM routes all of them,
 * START TRANSACTION and COMMIT included, through logQuery), by its first keyword.
 */
export class StatementCounter implements TypeOrmLogger {
  total = 0;
  readonly byKind: Record<string, number> = {};

  logQuery(query: string): void {
    this.total += 1;
    const kind = /^\s*(\w+)/.exec(query)?.[1]?.toUpperCase() ?? '?';
    this.byKind[kind] = (this.byKind[kind] ?? 0) + 1;
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}
