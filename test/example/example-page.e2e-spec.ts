import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { KEY_A, startExampleApp, tempDataDir, type ExampleAppHandle } from './example-app.harness';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const ARTIFACTS = join(__dirname, '..', 'artifacts');

/**
 * The page in a real headless Chromium: log in, connect through the emulator's consent page,
 * see the connection, disconnect, see it gone. Leaves a screenshot in test/artifacts/.
 */
describe('example page in a browser', () => {
  const data = tempDataDir();
  let h: ExampleAppHandle;
  let browser: Browser;
  let page: Page;
  const cspViolations: string[] = [];

  beforeAll(async () => {
    // Never skipped: a missing browser is a broken environment, and it says how to fix it.
    if (!existsSync(CHROMIUM)) {
      throw new Error(`Chromium not found at ${CHROMIUM}. Install it with: apt-get update && apt-get install -y chromium`);
    }
    h = await startExampleApp({ dataDir: data.dir });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1200, height: 760 } });
    // The CSP allows the page's stylesheet by hash: a mismatch would show here as a violation.
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });
  });

  afterAll(async () => {
    await browser?.close();
    await h?.close();
    data.remove();
  });

  it('logs in, connects via the consent page, shows the connection, disconnects', async () => {
    await page.goto(`${h.baseUrl}/`);
    await page.fill('#apiKey', KEY_A);
    await Promise.all([page.waitForURL(`${h.baseUrl}/`), page.click('#login')]);
    await page.waitForSelector('#no-connections');

    h.emulator.state.setAutoApprove(false);
    await Promise.all([page.waitForURL(`${h.emulator.url}/connect/oauth2**`), page.click('#connect')]);
    await Promise.all([page.waitForURL(`${h.baseUrl}/?connected=*`), page.click('#approve')]);

    const row = page.locator('#connections tbody tr');
    await row.first().waitFor();
    expect(await row.count()).toBe(1);
    const realmId = (await row.first().getAttribute('data-realm-id'))!;
    expect(realmId).toMatch(/^\d+$/);
    expect(await page.locator('[role=status]').innerText()).toContain(realmId);
    expect(await row.first().locator('.badge').innerText()).toBe('Active');
    const cookies = await page.context().cookies(h.baseUrl);
    expect(cookies.find((c) => c.name === 'qbx_session')).toMatchObject({ httpOnly: true, sameSite: 'Lax' });

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'example-page.png'), fullPage: true });

    await Promise.all([page.waitForURL(`${h.baseUrl}/?disconnected=*`), row.first().locator('[data-action=disconnect]').click()]);
    await page.waitForSelector('#no-connections');
    expect(await page.locator(`tr[data-realm-id="${realmId}"]`).count()).toBe(0);
    expect(h.emulator.state.realmSummary(realmId)!.status).toBe('revoked');
    expect(cspViolations).toEqual([]);
  });

  it('shows a declined consent as a readable message', async () => {
    await Promise.all([page.waitForURL(`${h.emulator.url}/connect/oauth2**`), page.click('#connect')]);
    await Promise.all([page.waitForURL(`${h.baseUrl}/?error=*`), page.click('#deny')]);
    expect(await page.locator('[role=alert]').innerText()).toContain('not granted');
    await page.waitForSelector('#no-connections');
  });
});
