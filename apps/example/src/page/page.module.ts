import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { QuickBooksRoutesModule } from '../quickbooks/quickbooks-routes.module';
import { PageController } from './page.controller';

@Module({
  imports: [AuthModule, QuickBooksRoutesModule],
  controllers: [PageController],
})
export class PageModule {}
