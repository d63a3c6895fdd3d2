import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { QUICKBOOKS_TOKEN_STORAGE } from '../../quickbooks-auth.constants';
import type { TokenStorage } from './token-storage.interface';

/** Closes what the backend opened itself (its own DataSource or Redis client) on shutdown. */
@Injectable()
export class StorageLifecycle implements OnApplicationShutdown {
  constructor(@Inject(QUICKBOOKS_TOKEN_STORAGE) private readonly storage: TokenStorage) {}

  async onApplicationShutdown(): Promise<void> {
    await this.storage.close?.();
  }
}
