import { Logger, type Provider } from '@nestjs/common';
import { CallbackBinding } from './auth/connect/callback-binding.service';
import { ConnectService } from './auth/connect/connect.service';
import { GrantRevocations } from './auth/connect/grant-revocations.service';
import { DisconnectLanding } from './auth/connect/disconnect-landing.service';
import { TokenRefresher } from './auth/refresh/token-refresher.service';
import { RefreshStatus } from './auth/refresh/refresh-status.service';
import { OAuthStateService } from './auth/state/oauth-state.service';
import type { StorageHandle } from './auth/storage/storage-handle';
import { openTokenStorage } from './auth/storage/open-token-storage';
import { TenantSettingsService } from './auth/tenant-settings.service';
import { TokenService } from './auth/token.service';
import { UndecryptableConnections } from './auth/undecryptable-connections.service';
import { AccessTokenCache } from './auth/access-token-cache';
import { ConnectionUsage } from './auth/refresh/connection-usage.service';
import { ConnectionImport } from './auth/import/connection-import.service';
import { resolveOptions, type ResolvedQuickBooksAuthOptions } from './config/resolved-options';
import { AuthEventsPublisher } from './events/auth-events.publisher';
import type { QuickBooksAuthModuleOptions } from './interfaces/quickbooks-auth-options.interface';
import { intuitHttpProvider } from './intuit/intuit-http.provider';
import { IntuitDiscoveryService } from './intuit/intuit-discovery.service';
import { IntuitIdTokenVerifier } from './intuit/intuit-id-token.verifier';
import { IntuitJwks } from './intuit/intuit-jwks.service';
import { IntuitCircuitBreaker } from './intuit/intuit-circuit-breaker.service';
import { IntuitOAuthClient } from './intuit/intuit-oauth.client';
import { tokenCallGateProvider } from './intuit/token-call-gate.provider';
import { QuickBooksApiClient } from './api/quickbooks-api.client';
import {
  QUICKBOOKS_AUTH_MODULE_OPTIONS,
  QUICKBOOKS_AUTH_RESOLVED_OPTIONS,
  QUICKBOOKS_STATE_NONCE_STORE,
  QUICKBOOKS_STORAGE_HANDLE,
  QUICKBOOKS_TOKEN_CIPHER,
  QUICKBOOKS_TOKEN_STORAGE,
} from './quickbooks-auth.constants';
import { StorageLifecycle } from './auth/storage/storage-lifecycle';
import { KeyRotationService } from './maintenance/key-rotation.service';
import { TokenCipher } from './utils/crypto/token-cipher';

/** @internal Every provider of the module, in one list. */
export const quickBooksAuthProviders: Provider[] = [
  {
    provide: QUICKBOOKS_AUTH_RESOLVED_OPTIONS,
    inject: [QUICKBOOKS_AUTH_MODULE_OPTIONS],
    useFactory: (raw: QuickBooksAuthModuleOptions) => resolveOptions(raw),
  },
  {
    provide: QUICKBOOKS_TOKEN_CIPHER,
    inject: [QUICKBOOKS_AUTH_RESOLVED_OPTIONS],
    useFactory: (o: ResolvedQuickBooksAuthOptions) => {
      // Ids only: a weak older key is kept so its rows can be read and re-encrypted away from it.
      if (o.keyRing.weakIds.length) {
        new Logger('QuickBooksAuth').warn(
          `encryption keys ${o.keyRing.weakIds.join(', ')} look weak and only decrypt: run quickbooks-auth reencrypt, then remove them`,
        );
      }
      return new TokenCipher(o.keyRing);
    },
  },
  {
    provide: QUICKBOOKS_STORAGE_HANDLE,
    inject: [QUICKBOOKS_AUTH_RESOLVED_OPTIONS, QUICKBOOKS_TOKEN_CIPHER],
    useFactory: async (o: ResolvedQuickBooksAuthOptions, cipher: TokenCipher) => {
      const handle = await openTokenStorage(o, cipher);
      new Logger('QuickBooksAuth').log(`token storage: ${handle.storage.kind}`);
      return handle;
    },
  },
  {
    provide: QUICKBOOKS_TOKEN_STORAGE,
    inject: [QUICKBOOKS_STORAGE_HANDLE],
    useFactory: (handle: StorageHandle) => handle.storage,
  },
  {
    provide: QUICKBOOKS_STATE_NONCE_STORE,
    inject: [QUICKBOOKS_STORAGE_HANDLE],
    useFactory: (handle: StorageHandle) => handle.nonces,
  },
  intuitHttpProvider,
  IntuitDiscoveryService,
  IntuitCircuitBreaker,
  tokenCallGateProvider,
  IntuitOAuthClient,
  IntuitJwks,
  IntuitIdTokenVerifier,
  CallbackBinding,
  GrantRevocations,
  DisconnectLanding,
  TenantSettingsService,
  OAuthStateService,
  AuthEventsPublisher,
  TokenRefresher,
  RefreshStatus,
  AccessTokenCache,
  UndecryptableConnections,
  ConnectionUsage,
  ConnectionImport,
  TokenService,
  ConnectService,
  QuickBooksApiClient,
  StorageLifecycle,
  KeyRotationService,
];

/** @internal What the module exports to the host. */
export const quickBooksAuthExports = [
  TokenService,
  ConnectService,
  QuickBooksApiClient,
  AuthEventsPublisher,
  IntuitCircuitBreaker,
  QUICKBOOKS_TOKEN_STORAGE,
  QUICKBOOKS_AUTH_RESOLVED_OPTIONS,
  TokenRefresher,
  RefreshStatus,
  KeyRotationService,
];
