import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { ConnectController } from './connect.controller';
import { ConnectionsController } from './connections.controller';
import { DisconnectLandingController } from './disconnect-landing.controller';
import { TenantConnectionsService } from './tenant-connections.service';

/** The example's QuickBooks routes, on top of the global QuickBooksAuthModule. */
@Module({
  imports: [AuthModule],
  controllers: [ConnectController, ConnectionsController, DisconnectLandingController],
  providers: [TenantConnectionsService],
  exports: [TenantConnectionsService],
})
export class QuickBooksRoutesModule {}
