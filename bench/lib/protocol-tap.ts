import { KeyRing } from '@quickbooks-auth/nestjs';
import { type RefreshSignal } from '@quickbooks-auth/nestjs/auth/refresh/refresh-signal';
import { IntuitCallFailure } from '@quickbooks-auth/nestjs/intuit/intuit-call-failure';
import { IntuitOAuthClient } from '@quickbooks-auth/nestjs/intuit/intuit-oauth.client';
import { benchSecrets, type ModuleApp } from './module-app';
import type { ProtocolEvent } from './replica-protocol';

/**
 * Reports a replica's token calls and protocol signals to the chaos parent as they happen, so the
 * checker can tell which process held a rotation when it died. The parent learns who sent which
 * token (a wrapper on the module's own Intuit client: nothing else sees the send) and who received
 * a rotation (TokenRefresher.observe). Refresh tokens leave this process only as key-ring
 * fingerprints; every event is sent before the next step so a SIGKILL cannot reorder them.
 */
export function tapProtocol(module: ModuleApp, send: (event: ProtocolEvent) => void): void {
  const ring = KeyRing.parse(benchSecrets().encryptionKeys);
  const client = module.app.get(IntuitOAuthClient);
  const refresh = client.refresh.bind(client);
  let seq = 0;
  client.refresh = async (refreshToken, creds) => {
    const call = ++seq;
    const sentFp = ring.fingerprint(refreshToken);
    send({ kind: 'sent', call, sentFp, at: Date.now() });
    try {
      const result = await refresh(refreshToken, creds);
      const rotated = result.tokens.refreshToken !== refreshToken;
      send({ kind: 'answered', call, sentFp, newFp: rotated ? ring.fingerprint(result.tokens.refreshToken) : null, error: null, at: Date.now() });
      return result;
    } catch (err) {
      send({ kind: 'answered', call, sentFp, newFp: null, error: err instanceof IntuitCallFailure ? err.kind : 'other', at: Date.now() });
      throw err;
    }
  };
  module.refresher.observe((s: RefreshSignal) => {
    if (s.kind === 'lease_busy') return; // every waiting caller: too chatty, and says nothing about tokens
    if (s.kind === 'rotation_received') send({ kind: 'rotation_received', sentFp: s.sentFingerprint, newFp: s.newFingerprint, at: Date.now() });
    else if (s.kind === 'drained') send({ kind: 'signal', name: s.kind, at: Date.now(), count: s.count });
    else send({ kind: 'signal', name: 'reason' in s ? `${s.kind}:${s.reason}` : s.kind, at: Date.now() });
  });
}
