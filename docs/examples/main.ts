// docs/deployment.md: graceful shutdown, so refreshes in flight are stored before the process exits.
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { AppModule } from './host-modules';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule, { bufferLogs: true });
  app.useLogger(app.get(Logger));
  // SIGTERM → stop claiming, drain every refresh in flight, close the storage the module opened,
  // then exit 0 (without useProcessExit Nest re-raises the signal: exit status 143).
  app.enableShutdownHooks([], { useProcessExit: true });
  await app.listen(Number(process.env.PORT ?? 3000));
}

void bootstrap();
