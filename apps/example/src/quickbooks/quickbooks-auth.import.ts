import type { DynamicModule } from '@nestjs/common';
import { ConfigModule, type ConfigType } from '@nestjs/config';
import { QuickBooksAuthModule, quickBooksConfig } from '@quickbooks-auth/nestjs';
import type { ExampleRuntime } from '../runtime/example-runtime';

/**
 * QuickBooksAuthModule as this app configures it. Live: QB_* env through the library's
 * `quickBooksConfig` (validated at startup, every bad variable named). Demo and tests: the
 * options resolveRuntime() built around the in-process emulator.
 */
export function quickBooksAuthImport(runtime: ExampleRuntime): DynamicModule {
  const reconnectUrl = `${runtime.publicUrl}/quickbooks/reconnect?realmId={realmId}`;
  const demoOptions = runtime.quickBooksOptions;
  if (demoOptions) {
    return QuickBooksAuthModule.forRootAsync({ isGlobal: true, registerHealthController: true, useFactory: () => demoOptions });
  }
  return QuickBooksAuthModule.forRootAsync({
    isGlobal: true,
    registerHealthController: true,
    imports: [ConfigModule.forFeature(quickBooksConfig)],
    inject: [quickBooksConfig.KEY],
    useFactory: (qb: ConfigType<typeof quickBooksConfig>) => ({ ...qb, reconnectUrl: qb.reconnectUrl ?? reconnectUrl }),
  });
}
