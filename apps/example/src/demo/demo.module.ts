import { Module } from '@nestjs/common';
import { DemoEmulatorLifecycle } from './demo-emulator.lifecycle';
import { DemoGrantRestorer } from './demo-grant.restorer';

/** Demo-mode housekeeping around the in-process emulator. Imported only in demo mode. */
@Module({ providers: [DemoGrantRestorer, DemoEmulatorLifecycle] })
export class DemoModule {}
