/**
 * Lifecycle events reach the host's EventEmitter2 when it imported EventEmitterModule.forRoot(),
 * and the module boots and works without it (the package is an optional peer; its absence is
 * covered by test/optional-peers/event-emitter-absent.int-spec.ts).
 */
import { EventEmitter2, EventEmitterModule } from '@nestjs/event-emitter';
import { QuickBooksAuthEvent, type ConnectedEvent } from '@quickbooks-auth/nestjs';
import { connectTenant, startHarness, type Harness } from '../support/quickbooks-harness';

describe('quickbooks.* events and the host EventEmitter2', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('delivers quickbooks.connected to the host emitter, without a token in the payload', async () => {
    h = await startHarness({ storage: { type: 'memory' }, imports: [EventEmitterModule.forRoot()] });
    const received: ConnectedEvent[] = [];
    h.app.get(EventEmitter2).on(QuickBooksAuthEvent.Connected, (e: ConnectedEvent) => received.push(e));

    const realmId = await connectTenant(h, 'tenant-events');

    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ tenantId: 'tenant-events', realmId, reconnected: false });
    const stored = await h.storage.get({ tenantId: 'tenant-events', realmId });
    const payload = JSON.stringify(received[0]);
    expect(payload).not.toContain(stored!.accessToken);
    expect(payload).not.toContain(stored!.refreshToken);
    expect(h.logs.lines.join('\n')).not.toContain('quickbooks.* events are logged and counted only');
  });

  it('without EventEmitterModule.forRoot(), connects and says once that events are only logged', async () => {
    h = await startHarness({ storage: { type: 'memory' } });

    const realmId = await connectTenant(h, 'tenant-no-events');

    expect((await h.tokens.getConnection({ tenantId: 'tenant-no-events', realmId })).status).toBe('active');
    const notices = h.logs.lines.filter((l) => l.includes('EventEmitterModule.forRoot() is not imported'));
    expect(notices).toHaveLength(1);
  });
});
