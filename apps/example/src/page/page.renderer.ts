import type { ConnectionSummary } from '@quickbooks-auth/nestjs';
import { html, SafeHtml } from './html';
import { PAGE_CSS } from './page.styles';

export interface PageFlash {
  notice: string | null;
  error: string | null;
}

export interface DemoHint {
  apiKey: string;
  emulatorUrl: string;
}

function layout(body: SafeHtml, headerRight: SafeHtml | string = ''): string {
  return `<!doctype html>${html`<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>QuickBooks connections</title><style>${new SafeHtml(PAGE_CSS)}</style></head>
<body><header><div class="inner"><h1>QuickBooks connections</h1>${headerRight}</div></header>
<main>${body}</main><footer>quickbooks-auth example app</footer></body></html>`}`;
}

function flash(f: PageFlash): SafeHtml {
  return html`${f.notice ? html`<p class="flash flash-ok" role="status">${f.notice}</p>` : ''}${f.error ? html`<p class="flash flash-error" role="alert">${f.error}</p>` : ''}`;
}

export function renderLogin(f: PageFlash, demo: DemoHint | null): string {
  return layout(
    html`${flash(f)}
<section class="card"><h2>Log in</h2>
<form method="post" action="/login">
<label for="apiKey">API key</label>
<input id="apiKey" name="apiKey" type="password" autocomplete="off" required>
<p><button class="btn btn-primary" id="login" type="submit">Log in</button></p>
</form></section>
${demo ? html`<section class="card demo"><h2>Demo mode</h2><p>Use the demo API key printed in the server log at startup. QuickBooks is the local Intuit emulator at <code>${demo.emulatorUrl}</code>.</p></section>` : ''}`,
  );
}

const when = (d: Date | null, now: number): SafeHtml => {
  if (!d) return html`<span class="sub">never</span>`;
  return html`<time datetime="${d.toISOString()}" title="${d.toISOString()}">${relative(d.getTime() - now)}</time><span class="sub">${d.toISOString().replace('T', ' ').slice(0, 19)} UTC</span>`;
};

function relative(ms: number): string {
  const abs = Math.abs(ms);
  const [n, unit] =
    abs < 90_000
      ? [Math.round(abs / 1000), 's']
      : abs < 5_400_000
        ? [Math.round(abs / 60_000), 'min']
        : abs < 172_800_000
          ? [Math.round(abs / 3_600_000), 'h']
          : [Math.round(abs / 86_400_000), 'days'];
  return ms >= 0 ? `in ${n} ${unit}` : `${n} ${unit} ago`;
}

/** Show the 5-year deadline prominently, and offer Reconnect, this long before it (the first warning horizon). */
const RECONNECT_SOON_MS = 90 * 86_400_000;

/** Needs the customer now or soon: Intuit refused it, its tokens are unreadable, or its hard expiry is near. */
function needsReconnect(c: ConnectionSummary, now: number): boolean {
  const hard = c.refreshTokenHardExpiresAt?.getTime();
  return c.undecryptable || c.status === 'needs_reauth' || (hard !== undefined && hard - now <= RECONNECT_SOON_MS);
}

function deadline(c: ConnectionSummary, now: number): SafeHtml {
  if (!c.refreshTokenHardExpiresAt) return html`<span class="sub">not told by Intuit</span>`;
  const soon = c.refreshTokenHardExpiresAt.getTime() - now <= RECONNECT_SOON_MS;
  return html`${when(c.refreshTokenHardExpiresAt, now)}${soon ? html`<span class="badge badge-needs_reauth" data-reconnect-soon>Reconnect before this date</span>` : ''}`;
}

const STATUS_LABEL: Record<string, string> = {
  active: 'Active',
  reauth_pending: 'Checking (refresh in doubt)',
  needs_reauth: 'Needs reconnect',
  revoke_pending: 'Disconnecting (revoke at Intuit pending)',
  revoked: 'Disconnected',
};

export function renderDashboard(params: {
  tenantId: string;
  connections: ConnectionSummary[];
  csrfToken: string;
  flash: PageFlash;
  demo: DemoHint | null;
  now: number;
}): string {
  const { connections, csrfToken, now } = params;
  const rows = connections.map(
    (c) => html`<tr data-realm-id="${c.realmId}">
<td><strong>${c.realmId}</strong><span class="sub">${c.environment}</span></td>
<td>${c.undecryptable ? html`<span class="badge badge-undecryptable">Unreadable: reconnect or disconnect</span>` : html`<span class="badge badge-${c.status}">${STATUS_LABEL[c.status] ?? c.status}</span>`}${c.lastErrorCode ? html`<span class="sub">last error: ${c.lastErrorCode}</span>` : ''}</td>
<td>${when(c.accessTokenExpiresAt, now)}</td>
<td>${when(c.refreshTokenExpiresAt, now)}</td>
<td>${when(c.lastRefreshedAt, now)}</td>
<td data-deadline>${deadline(c, now)}</td>
<td><div class="actions">
${needsReconnect(c, now) ? html`<a class="btn btn-primary" data-action="reconnect" href="/quickbooks/reconnect?realmId=${c.realmId}">Reconnect</a>` : ''}
<a class="btn btn-link" href="/quickbooks/connections/${c.realmId}/company-info">Company info</a>
<form class="inline" method="post" action="/quickbooks/connections/${c.realmId}/disconnect">
<input type="hidden" name="csrf" value="${csrfToken}">
<button class="btn btn-danger" type="submit" data-action="disconnect">Disconnect</button></form></div></td></tr>`,
  );
  const logout = html`<form class="inline" method="post" action="/logout"><span class="who">Tenant <code>${params.tenantId}</code></span>
<input type="hidden" name="csrf" value="${csrfToken}"><button class="btn btn-link" type="submit">Log out</button></form>`;
  return layout(
    html`${flash(params.flash)}
<section class="card"><h2>Your companies</h2>
${
  connections.length
    ? html`<table id="connections"><thead><tr><th>Company (realm)</th><th>Status</th><th>Access token expires</th><th>Refresh token expires</th><th>Last refresh</th><th>Reconnect by (5-year limit)</th><th></th></tr></thead><tbody>${rows}</tbody></table>`
    : html`<p class="empty" id="no-connections">No QuickBooks company connected yet.</p>`
}
<p class="actions"><a class="btn btn-primary" id="connect" href="/quickbooks/connect">Connect to QuickBooks</a><a class="btn btn-link" href="/">Refresh</a></p>
</section>
${params.demo ? html`<section class="card demo"><h2>Demo mode</h2><p>Connections go to the local Intuit emulator at <code>${params.demo.emulatorUrl}</code>. Its access tokens live 5 minutes, so the scheduler refreshes them every few minutes: reload to watch <em>Last refresh</em> move.</p></section>` : ''}`,
    logout,
  );
}

/**
 * The Disconnect URL page: the same for every request (whatever the realm, whether it exists or
 * was disconnected), so the landing tells nobody anything.
 */
export function renderDisconnectLanding(): string {
  return layout(
    html`<section class="card" id="disconnected"><h2>QuickBooks disconnected</h2>
<p>If you disconnected this app inside QuickBooks, it no longer has access to that company. We check with Intuit before closing the connection here, so nothing changes if the company is still connected.</p>
<p class="actions"><a class="btn btn-primary" href="/">Back to your companies</a></p></section>`,
  );
}
