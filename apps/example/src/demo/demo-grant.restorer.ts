import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { QUICKBOOKS_TOKEN_STORAGE, isUndecryptable, type TokenStorage } from '@quickbooks-auth/nestjs';
import { DEFAULT_SCOPE } from '@quickbooks-auth/intuit-emulator';
import { EXAMPLE_RUNTIME, type ExampleRuntime } from '../runtime/example-runtime';

/**
 * The emulator keeps its grants in memory, so after a restart it would answer invalid_grant to
 * the tokens the demo database still holds. Demo only: hand the emulator back the grants this
 * app stored, so connections survive `npm start` restarts exactly as they would with real Intuit.
 */
@Injectable()
export class DemoGrantRestorer implements OnApplicationBootstrap {
  private readonly logger = new Logger('DemoMode');

  constructor(
    @Inject(EXAMPLE_RUNTIME) private readonly runtime: ExampleRuntime,
    @Inject(QUICKBOOKS_TOKEN_STORAGE) private readonly storage: TokenStorage,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const demo = this.runtime.demo;
    const clientId = this.runtime.quickBooksOptions?.clientId;
    if (!demo || !clientId) return;
    const { store, clock } = demo.emulator.state;
    const now = clock.now();
    let restored = 0;
    for (const tenantId of this.runtime.apiKeys.tenantIds()) {
      // A row that cannot be decrypted has no token to hand back: it is listed as undecryptable instead.
      for (const c of await this.storage.listRecordsByTenant(tenantId)) {
        if (isUndecryptable(c) || c.status !== 'active' || store.refreshTokens.has(c.refreshToken)) continue;
        const grant = store.createGrant({
          clientId,
          realmId: c.realmId,
          scopes: c.scopes.length ? c.scopes : [DEFAULT_SCOPE],
          sub: `demo-${c.realmId}`,
          now: c.createdAt.getTime(),
          hardExpirySeconds: Math.max(
            0,
            Math.round(((c.refreshTokenHardExpiresAt?.getTime() ?? now + 157_680_000_000) - c.createdAt.getTime()) / 1000),
          ),
          refreshToken: {
            value: c.refreshToken,
            issuedAt: (c.lastRefreshedAt ?? c.createdAt).getTime(),
            expiresAt: c.refreshTokenExpiresAt.getTime(),
          },
        });
        store.addAccessToken(grant, c.accessToken, now, c.accessTokenExpiresAt.getTime());
        restored += 1;
      }
    }
    if (restored) this.logger.log(`re-registered ${restored} stored connection(s) with the in-process emulator`);
  }
}
