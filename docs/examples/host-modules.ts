// docs/deployment.md: the global modules the host imports once (the library never does).
import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { ScheduleModule } from '@nestjs/schedule';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { LoggerModule } from 'nestjs-pino';
import { QuickBooksAuthModule, quickBooksConfig, quickBooksPinoHttpOptions } from '@quickbooks-auth/nestjs';

@Module({
  imports: [
    ConfigModule.forRoot({ load: [quickBooksConfig] }),
    ScheduleModule.forRoot(), // runs the proactive refresh interval
    EventEmitterModule.forRoot(), // delivers quickbooks.* events to your @OnEvent handlers
    LoggerModule.forRoot({ pinoHttp: quickBooksPinoHttpOptions({ level: 'info' }) }), // redacts tokens, code, state
    PrometheusModule.register(), // serves GET /metrics from prom-client's registry
    QuickBooksAuthModule.forRootAsync({ ...quickBooksConfig.asProvider(), registerHealthController: true }),
  ],
})
export class AppModule {}
