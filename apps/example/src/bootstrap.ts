import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { ExampleModule } from './example.module';
import type { ExampleRuntime } from './runtime/example-runtime';

/** Creates and configures the app without listening (main.ts and the tests share this). */
export async function createExampleApp(runtime: ExampleRuntime): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(ExampleModule.forRoot(runtime), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  app.disable('x-powered-by');
  // SIGTERM/SIGINT close the app: the scheduler stops claiming, every refresh in flight is drained
  // (its rotated token stored, its lease released), the HTTP server closes once open requests are
  // answered, storage closes. Then exit 0 (useProcessExit): by default Nest re-raises the signal
  // and the process dies of it (status 143) instead of exiting cleanly.
  app.enableShutdownHooks([], { useProcessExit: true });
  return app;
}
