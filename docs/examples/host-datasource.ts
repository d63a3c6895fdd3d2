// docs/deployment.md: the module's tables in the host's own DataSource (one pool, host-run migrations).
import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { DataSource } from 'typeorm';
import {
  QUICKBOOKS_AUTH_ENTITIES,
  QUICKBOOKS_AUTH_MYSQL_MIGRATIONS,
  QuickBooksAuthModule,
  quickBooksOptionsFromEnv,
} from '@quickbooks-auth/nestjs';

export const appDataSource = new DataSource({
  type: 'mysql',
  url: process.env.DATABASE_URL,
  timezone: 'Z', // the module's timestamps are BIGINT epoch milliseconds (UTC by definition); 'Z' keeps your own DATETIME columns UTC
  entities: [/* your entities, */ ...QUICKBOOKS_AUTH_ENTITIES],
  migrations: [/* your migrations, */ ...QUICKBOOKS_AUTH_MYSQL_MIGRATIONS],
  migrationsRun: true, // or run `typeorm migration:run` / `npx quickbooks-auth migrate` in your deploy job
});

@Module({
  imports: [
    ScheduleModule.forRoot(),
    QuickBooksAuthModule.forRootAsync({
      useFactory: () => ({
        ...quickBooksOptionsFromEnv({ ...process.env, QB_STORAGE: 'memory' }),
        // The host's DataSource: the module neither migrates it (unless migrationsRun: true) nor closes it.
        storage: { type: 'typeorm', dataSource: appDataSource },
      }),
    }),
  ],
})
export class AppModule {}
