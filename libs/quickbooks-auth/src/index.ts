/**
 * Everything a host app uses: the module, its services, options, errors, storage and metrics types.
 *
 * @module @quickbooks-auth/nestjs
 */
export * from './quickbooks-auth.module';
export {
  QUICKBOOKS_AUTH_OPTIONS_TYPE,
  QUICKBOOKS_AUTH_ASYNC_OPTIONS_TYPE,
  type QuickBooksAuthModuleExtras,
} from './quickbooks-auth-module-definition';
export * from './quickbooks-auth.decorators';
// Injection tokens a host may need (`@InjectTokenStorage()` / `@InjectQuickBooksAuthOptions()` wrap them).
export { QUICKBOOKS_AUTH_MODULE_OPTIONS, QUICKBOOKS_TOKEN_STORAGE } from './quickbooks-auth.constants';
// Intuit's published endpoints (allow-lists, CSP); the module resolves them itself from `environment`.
export { INTUIT_DISCOVERY_URLS, INTUIT_API_BASE_URLS } from './quickbooks-auth.constants';
export * from './interfaces/quickbooks-auth-options.interface';
export * from './auth/storage/storage-options.interface';
export * from './config/quickbooks.config';
export * from './domain/connection.interface';
export { TokenService, type AccessToken } from './auth/token.service';
export type { ImportedConnection, ImportOptions, ImportOutcome } from './auth/import/imported-connection';
export type { ReconnectCampaignPage, ReconnectCampaignQuery, ReconnectCandidate } from './auth/reconnect-campaign';
export { ConnectService, type CallbackQuery, type ConnectResult, type DisconnectResult } from './auth/connect/connect.service';
export {
  DISCONNECT_LANDING_COOLDOWN_MS,
  type DisconnectLandingOutcome,
  type DisconnectLandingResult,
} from './auth/connect/disconnect-landing.service';
export type {
  TokenStorage,
  NewConnection,
  RefreshResult,
  RefreshFailure,
  StorageStats,
  BeginCall,
  ReauthMark,
  RevokeFence,
  RevokeRetry,
  PendingRevocation,
  ReconnectDuePage,
  ConnectionUse,
  ClaimOptions,
  AcquireOptions,
} from './auth/storage/token-storage.interface';
export { isUndecryptable } from './auth/storage/undecryptable-record';
export * from './events/quickbooks-auth.events';
export * from './health';
export * from './metrics';
export * from './logging';
export * from './errors';
// For authors of custom TokenStorage backends: seal and open tokens as the built-in stores do (I6).
export { KeyRing, type EncryptionKey } from './utils/crypto/key-ring';
export { TokenCipher, type CipherContext } from './utils/crypto/token-cipher';
export type { Clock } from './utils/clock';
export { KeyRotationService, type ReencryptionReport } from './maintenance/key-rotation.service';
export * from './migrations';
// The TypeORM entities a host adds to its own DataSource beside the migrations.
export { QUICKBOOKS_AUTH_ENTITIES } from './auth/storage/typeorm/quickbooks-auth.entities';
// QBO accounting API client, its error, and the opt-in HTTP mapping of library errors (issue 13).
export { QuickBooksApiClient, QBO_MINOR_VERSION } from './api/quickbooks-api.client';
export type { QuickBooksApiRequest, QuickBooksCompanyInfo, QuickBooksQueryResponse } from './api/quickbooks-api.interface';
export * from './http';
// Per-realm API governor and monthly call meter (issue 17).
export * from './governor';
