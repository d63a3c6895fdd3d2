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
  // SIGTERM/SIGINT close the app: the scheduler stops, leases are released, storage closes.
  app.enableShutdownHooks();
  return app;
}
