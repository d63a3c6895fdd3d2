import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { QUICKBOOKS_STORAGE_HANDLE } from '../../quickbooks-auth.constants';
import type { StorageHandle } from './storage-handle';

/** Closes what the module opened itself (its own DataSource or Redis client) on shutdown. */
@Injectable()
export class StorageLifecycle implements OnApplicationShutdown {
  constructor(@Inject(QUICKBOOKS_STORAGE_HANDLE) private readonly handle: StorageHandle) {}

  async onApplicationShutdown(): Promise<void> {
    await this.handle.storage.close?.();
    await this.handle.dispose();
  }
}
