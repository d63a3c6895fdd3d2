import { KeyRing } from '@quickbooks-auth/nestjs';
import { AuthEventsPublisher } from '@quickbooks-auth/nestjs/events/auth-events.publisher';
import { IntuitCallFailure } from '@quickbooks-auth/nestjs/intuit/intuit-call-failure';
import { IntuitOAuthClient } from '@quickbooks-auth/nestjs/intuit/intuit-oauth.client';
import { benchSecrets, type ModuleApp } from './module-app';
import type { ProtocolEvent } from './replica-protocol';

/**
 * Reports a replica's token calls and protocol signals to the chaos parent as they happen, so the
 * checker can tell which process held a rotation when it died. The parent learns who sent which
 * token (a wrapper on the module's own Intuit client: nothing else sees the send) and who received
 * a rotation (the events publisher's refresh_protocol signals). Refresh tokens leave this process only as key-ring
 * fingerprints; every event is sent before the next step so a SIGKILL cannot reorder them.
 */
export function tapProtocol(module: ModuleApp, send: (event: ProtocolEvent) => void): void {
  const ring = KeyRing.parse(benchSecrets().encryptionKeys);
  const client = module.app.get(IntuitOAuthClient);
  const refresh = client.refresh.bind(client);
  let seq = 0;
  client.refresh = async (refreshToken, creds, gated) => {
    const sentFp = ring.fingerprint(refreshToken);
    // Sent once the gate admitted the call and the protocol recorded it (beforeSend resolved).
    let call = 0;
    let sent = false;
    const beforeSend = async () => {
      await gated.beforeSend?.();
      sent = true;
      call = ++seq;
      send({ kind: 'sent', call, sentFp, at: Date.now() });
    };
    try {
      const result = await refresh(refreshToken, creds, { ...gated, beforeSend });
      const rotated = result.tokens.refreshToken !== refreshToken;
      send({
        kind: 'answered',
        call,
        sentFp,
        newFp: rotated ? ring.fingerprint(result.tokens.refreshToken) : null,
        error: null,
        at: Date.now(),
      });
      return result;
    } catch (err) {
      if (sent)
        send({ kind: 'answered', call, sentFp, newFp: null, error: err instanceof IntuitCallFailure ? err.kind : 'other', at: Date.now() });
      throw err;
    }
  };
  module.app.get(AuthEventsPublisher).listen((signal) => {
    if (signal.kind !== 'refresh_protocol') return;
    const s = signal.signal;
    if (s.kind === 'lease_busy') return; // every waiting caller: too chatty, and says nothing about tokens
    if (s.kind === 'rotation_received')
      send({ kind: 'rotation_received', sentFp: s.sentFingerprint, newFp: s.newFingerprint, at: Date.now() });
    else if (s.kind === 'drained') send({ kind: 'signal', name: s.kind, at: Date.now(), count: s.count });
    else send({ kind: 'signal', name: 'reason' in s ? `${s.kind}:${s.reason}` : s.kind, at: Date.now() });
  });
}
