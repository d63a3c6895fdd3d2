// Public API of @quickbooks-auth/nestjs.
export * from './quickbooks-auth.module';
export { QUICKBOOKS_AUTH_OPTIONS_TYPE, QUICKBOOKS_AUTH_ASYNC_OPTIONS_TYPE, type QuickBooksAuthModuleExtras } from './quickbooks-auth-module-definition';
export * from './quickbooks-auth.decorators';
export {
  QUICKBOOKS_AUTH_MODULE_OPTIONS,
  QUICKBOOKS_TOKEN_STORAGE,
  QUICKBOOKS_CONFIG_NAMESPACE,
  DEFAULT_SCOPES,
  INTUIT_DISCOVERY_URLS,
  INTUIT_API_BASE_URLS,
} from './quickbooks-auth.constants';
export * from './interfaces/quickbooks-auth-options.interface';
export * from './interfaces/storage-options.interface';
export * from './config/quickbooks.config';
export { resolveOptions, type ResolvedQuickBooksAuthOptions } from './config/resolved-options';
export * from './auth/connection.interface';
export { TokenService, type AccessToken } from './auth/token.service';
export { ConnectService, type CallbackQuery, type ConnectResult, type DisconnectResult } from './auth/connect/connect.service';
export type { TokenStorage, NewConnection, RefreshResult, RefreshFailure, StorageStats, BeginCall, ReauthMark, RevokeRetry, PendingRevocation } from './auth/storage/token-storage.interface';
export { MemoryTokenStorage } from './auth/storage/memory/memory-token-storage';
export { isUndecryptable } from './auth/storage/undecryptable-record';
export { TokenRefresher } from './auth/refresh/token-refresher.service';
export type { RefreshSignal, SendRefusal } from './auth/refresh/refresh-signal';
export { RefreshScheduler, type RefreshSchedulerCounters } from './auth/refresh-scheduler/refresh-scheduler.service';
export { IntuitCircuitBreaker } from './auth/refresh-scheduler/intuit-circuit-breaker.service';
export { RefreshStatus, type BreakerState } from './auth/refresh/refresh-status.service';
export type { StateNonceStore } from './auth/state/state-nonce-store.interface';
export * from './events/quickbooks-auth.events';
export { AuthEventsPublisher } from './events/auth-events.publisher';
export * from './health';
export * from './metrics';
export * from './logging';
export * from './errors';
export { KeyRing, TokenCipher, type EncryptionKey, type CipherContext } from './utils/crypto';
export type { Clock } from './utils/clock';
export { KeyRotationService, type ReencryptionReport } from './maintenance/key-rotation.service';
export * from './migrations';
export { TypeOrmTokenStorage } from './auth/storage/typeorm/typeorm-token-storage';
export { RedisTokenStorage } from './auth/storage/redis/redis-token-storage';
export { FileTokenStorage } from './auth/storage/file/file-token-storage';
export { MemoryStateNonceStore } from './auth/state/memory-state-nonce.store';
export { RedisStateNonceStore } from './auth/state/redis-state-nonce.store';
export { TypeOrmStateNonceStore } from './auth/state/typeorm-state-nonce.store';
export { FileStateNonceStore } from './auth/state/file-state-nonce.store';
