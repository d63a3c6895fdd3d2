// Child process for the file-backend concurrency test: loads the TS sources through ts-node and
// runs lease → beginCall → compare-and-swap (or failure) rounds on one connection, plus a write
// with the lease it just gave up, reporting what it saw.
import { KeyRing, TokenCipher } from '@quickbooks-auth/nestjs';
import { FileTokenStorage } from '@quickbooks-auth/nestjs/auth/storage/file/file-token-storage';
import type { Lease } from '@quickbooks-auth/nestjs/domain/connection.interface';

async function main(): Promise<void> {
  const [directory, name, roundsText] = process.argv.slice(2);
  const storage = new FileTokenStorage({ directory }, new TokenCipher(KeyRing.parse(process.env.QB_TEST_KEYS)));
  const ref = { tenantId: 'tenant-hammer', realmId: 'realm-1' };
  let leases = 0;
  let swaps = 0;
  let failures = 0;
  let lostWrites = 0;
  let staleWins = 0;
  let stale: Lease | null = null;
  for (let i = 0; i < Number(roundsText); i++) {
    const leased = await storage.acquireLease(ref, name, 30_000);
    if (leased) {
      leases++;
      const lease = { owner: name, generation: leased.leaseGeneration };
      // Under our lease nobody else writes, so each of these must win.
      if (!(await storage.beginCall(ref, lease, { fingerprint: leased.refreshTokenFingerprint, callBudgetMs: 5_000, ttlMs: 30_000 })))
        lostWrites++;
      if (leases % 3 !== 0) {
        const swapped = await storage.compareAndSwapTokens(
          ref,
          leased.refreshTokenFingerprint,
          {
            accessToken: `at-${name}-${i}`,
            refreshToken: `rt-${name}-${i}`,
            accessTokenExpiresAt: new Date(Date.now() + 3600_000),
            refreshTokenExpiresAt: new Date(Date.now() + 86400_000),
            refreshTokenHardExpiresAt: null,
            nextRefreshAt: new Date(Date.now() + 1800_000),
          },
          lease,
        );
        if (swapped) swaps++;
        else lostWrites++;
      } else {
        await storage.recordFailure(ref, lease, { failureCount: i, nextAttemptAt: null, lastErrorCode: 'http_503' });
        failures++;
      }
      stale = lease;
    }
    // A lease this worker already gave up (possibly retaken by the other one) must never write.
    if (stale && (await storage.renewLease(ref, stale, 30_000))) staleWins++;
  }
  process.send!({ leases, swaps, failures, lostWrites, staleWins });
}

main().catch((err: Error) => {
  process.send!({ error: `${err.name}: ${err.message}` });
});
