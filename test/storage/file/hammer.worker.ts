// Child process for the file-backend concurrency test: loads the TS sources through ts-node and
// runs lease → compare-and-swap → release rounds on one connection, reporting what it saw.
import { KeyRing } from '../../../libs/quickbooks-auth/src/utils/crypto/key-ring';
import { TokenCipher } from '../../../libs/quickbooks-auth/src/utils/crypto/token-cipher';
import { FileTokenStorage } from '../../../libs/quickbooks-auth/src/auth/storage/file/file-token-storage';

async function main(): Promise<void> {
  const [directory, name, roundsText] = process.argv.slice(2);
  const storage = new FileTokenStorage({ directory }, new TokenCipher(KeyRing.parse(process.env.QB_TEST_KEYS)));
  const ref = { tenantId: 'tenant-hammer', realmId: 'realm-1' };
  let leases = 0;
  let swaps = 0;
  let lostSwaps = 0;
  let failures = 0;
  for (let i = 0; i < Number(roundsText); i++) {
    const leased = await storage.acquireLease(ref, name, 30_000);
    if (leased) {
      leases++;
      // Under our lease nobody else writes tokens, so this swap must win.
      const swapped = await storage.compareAndSwapTokens(ref, leased.refreshTokenFingerprint, {
        accessToken: `at-${name}-${i}`,
        refreshToken: `rt-${name}-${i}`,
        accessTokenExpiresAt: new Date(Date.now() + 3600_000),
        refreshTokenExpiresAt: new Date(Date.now() + 86400_000),
        refreshTokenHardExpiresAt: null,
        nextRefreshAt: new Date(Date.now() + 1800_000),
      }, name);
      if (swapped) swaps++;
      else lostSwaps++;
    }
    // Unleased writes too: failures recorded concurrently must never tear the file.
    await storage.recordFailure(ref, name, { failureCount: i, nextAttemptAt: null, lastErrorCode: 'http_503' });
    failures++;
  }
  process.send!({ leases, swaps, lostSwaps, failures });
}

main().catch((err: Error) => {
  process.send!({ error: `${err.name}: ${err.message}` });
});
