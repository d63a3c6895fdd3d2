import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { ExampleModule } from './example.module';
import type { ExampleRuntime } from './runtime/example-runtime';
import { registerBodyParsers } from './security/body-parsers';
import { noStore } from './security/no-store.middleware';
import { sameOriginOnly } from './security/same-origin.middleware';
import { securityHeaders } from './security/security-headers';

/** Creates and configures the app without listening (main.ts and the tests share this). */
export async function createExampleApp(runtime: ExampleRuntime): Promise<NestExpressApplication> {
  // bodyParser: false, so the parsers below (explicit limits) run after the same-origin check.
  const app = await NestFactory.create<NestExpressApplication>(ExampleModule.forRoot(runtime), { bufferLogs: true, bodyParser: false });
  app.useLogger(app.get(Logger));
  app.disable('x-powered-by');
  // Which proxy's X-Forwarded-For / -Proto to believe (req.ip for the failure limit, req.secure for cookies).
  app.set('trust proxy', runtime.trustProxy);
  // Registered before Nest's own middleware and routes: they apply to every response.
  app.use(securityHeaders(runtime.publicUrl.startsWith('https://')));
  app.use(noStore);
  app.use(sameOriginOnly(new URL(runtime.publicUrl).origin));
  registerBodyParsers(app);
  // SIGTERM/SIGINT close the app: the scheduler stops claiming, every refresh in flight is drained
  // (its rotated token stored, its lease released), the HTTP server closes once open requests are
  // answered, storage closes. Then exit 0 (useProcessExit): by default Nest re-raises the signal
  // and the process dies of it (status 143) instead of exiting cleanly.
  app.enableShutdownHooks([], { useProcessExit: true });
  return app;
}
