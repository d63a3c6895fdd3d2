import { EventEmitter2, EventEmitterModule } from '@nestjs/event-emitter';
import { Test } from '@nestjs/testing';
import { QUICKBOOKS_AUTH_RESOLVED_OPTIONS } from '../quickbooks-auth.constants';
import { AuthEventsPublisher } from './auth-events.publisher';
import type { InternalSignal } from './internal-signal';
import { QuickBooksAuthEvent } from './quickbooks-auth.events';

const NOW = new Date(1_800_000_000_000);
const ref = { tenantId: 'tenant-signals', realmId: '9130000000001' };

describe('AuthEventsPublisher: the internal signal and the host emitter', () => {
  let publisher: AuthEventsPublisher;
  let hostEvents: string[];
  let close: () => Promise<void>;

  beforeEach(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [EventEmitterModule.forRoot({ wildcard: true })],
      providers: [AuthEventsPublisher, { provide: QUICKBOOKS_AUTH_RESOLVED_OPTIONS, useValue: { hashRealmIdsInLogs: false } }],
    })
      .setLogger({ log: () => undefined, error: () => undefined, warn: () => undefined, debug: () => undefined, verbose: () => undefined })
      .compile();
    await moduleRef.init();
    publisher = moduleRef.get(AuthEventsPublisher);
    hostEvents = [];
    moduleRef.get(EventEmitter2).onAny((name: string | string[]) => hostEvents.push(String(name)));
    close = () => moduleRef.close();
  });

  afterEach(() => close());

  it('gives listeners every signal in order, and the host only the quickbooks.* lifecycle events', () => {
    const heard: InternalSignal[] = [];
    const lifecycle: string[] = [];
    publisher.listen((s) => heard.push(s));
    publisher.subscribe((name) => lifecycle.push(name));

    publisher.signal({ kind: 'token_call', grantType: 'refresh_token', status: 200, latencyMs: 12 });
    publisher.signal({ kind: 'refresh_protocol', signal: { kind: 'lease_busy', trigger: 'on_demand' } });
    publisher.signal({ kind: 'undecryptable_row', operation: 'read' });
    publisher.connected({ ...ref, correlationId: 'cid-1', intuitTid: null, at: NOW, reconnected: false });

    expect(heard.map((s) => s.kind)).toEqual(['token_call', 'refresh_protocol', 'undecryptable_row', 'lifecycle']);
    expect(heard[3]).toMatchObject({ kind: 'lifecycle', name: QuickBooksAuthEvent.Connected, payload: ref });
    expect(lifecycle).toEqual([QuickBooksAuthEvent.Connected]);
    expect(hostEvents).toEqual([QuickBooksAuthEvent.Connected]);
  });

  it('a listener that throws breaks neither the producer nor the other listeners', () => {
    const heard: string[] = [];
    publisher.listen(() => {
      throw new Error('broken listener');
    });
    publisher.listen((s) => heard.push(s.kind));
    expect(() => publisher.signal({ kind: 'token_call', grantType: 'authorization_code', status: null, latencyMs: 3 })).not.toThrow();
    expect(heard).toEqual(['token_call']);
  });
});
