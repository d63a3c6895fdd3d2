import { createQuickBooksTestingModule, type QuickBooksTesting } from '../../testing/quickbooks-testing-module';

describe('ConnectionUsage', () => {
  let h: QuickBooksTesting;

  beforeEach(async () => {
    h = await createQuickBooksTestingModule({ options: { accessTokenCacheSeconds: 0 } });
  });
  afterEach(async () => {
    await h.close().catch(() => undefined);
  });

  it('shutdown waits for a use write still in flight, so it never lands on a closed store', async () => {
    const ref = h.realm!;
    // The real write, held until released: the app is asked to close while it is in flight.
    const write = h.storage.recordUse!.bind(h.storage);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let landed = false;
    h.storage.recordUse = async (r, use) => {
      await held;
      await write(r, use);
      landed = true;
    };
    // Past a quarter of the 2 h 'recent' window since the connect recorded its use, token still valid.
    h.emulator.state.clock.advance(40 * 60);
    await h.tokens.getAccessToken(ref); // a storage read: records the use, fire and forget
    let closed = false;
    const closing = h.close().then(() => (closed = true));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(closed).toBe(false);
    release();
    await closing;
    expect(landed).toBe(true);
    expect((await h.storage.get(ref))!.lastUsedAt).not.toBeNull();
  });
});
