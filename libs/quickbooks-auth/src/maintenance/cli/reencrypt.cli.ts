/**
 * `npm run reencrypt` — re-encrypt every stored token under the newest key in QB_ENCRYPTION_KEYS.
 * Safe while the app runs. Reads the same environment as the app (quickBooksConfig).
 */
import 'reflect-metadata';
import { Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { quickBooksOptionsFromEnv } from '../../config/quickbooks.config';
import { QuickBooksAuthModule } from '../../quickbooks-auth.module';
import { KeyRotationService } from '../key-rotation.service';

async function main(): Promise<number> {
  const options = quickBooksOptionsFromEnv();
  @Module({ imports: [QuickBooksAuthModule.forRoot({ ...options, scheduler: { ...options.scheduler, enabled: false } })] })
  class ReencryptModule {}
  const app = await NestFactory.createApplicationContext(ReencryptModule, { logger: ['error', 'warn'] });
  try {
    const started = Date.now();
    const report = await app.get(KeyRotationService).reencryptAll({
      onProgress: (r) => process.stdout.write(`\rscanned ${r.scanned}, re-encrypted ${r.reencrypted}, failed ${r.failed}`),
    });
    process.stdout.write(`\ndone in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    return report.failed === 0 ? 0 : 1;
  } finally {
    await app.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    new Logger('reencrypt').error((err as Error).message);
    process.exit(1);
  },
);
