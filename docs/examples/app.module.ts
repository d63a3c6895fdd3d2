// README "Use it in your app": configuration from environment variables (quickBooksConfig).
import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { ScheduleModule } from '@nestjs/schedule';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { QuickBooksAuthModule, quickBooksConfig } from '@quickbooks-auth/nestjs';

@Module({
  imports: [
    ConfigModule.forRoot({ load: [quickBooksConfig] }),
    ScheduleModule.forRoot(),        // the host owns these global modules:
    EventEmitterModule.forRoot(),    // the library never calls a global forRoot()
    QuickBooksAuthModule.forRootAsync({ ...quickBooksConfig.asProvider(), registerHealthController: true }),
  ],
})
export class AppModule {}
