import { escapeHtml, redirect, sendHtml } from '../http-utils';
import { newAuthCode, isValidRealmId } from '../ids';
import { formOrJsonBody } from './body-readers';
import type { RouteContext } from './route-context';
import { defineRoute } from './route-spec';

export const AUTHORIZE_PATH = '/connect/oauth2';
export const DECISION_PATH = '/connect/oauth2/decision';

/** Scopes Intuit accepts (intuit-oauth's list); anything else is invalid_scope. */
export const KNOWN_SCOPES = new Set([
  'com.intuit.quickbooks.accounting',
  'com.intuit.quickbooks.payment',
  'payroll.compensation.read',
  'project-management.project',
  'app-foundations.custom-dimensions.read',
  'app-foundations.custom-field-definitions',
  'time-tracking.time-entry',
  'indirect-tax.tax-calculation.quickbooks',
  'openid',
  'profile',
  'email',
  'phone',
  'address',
]);

interface AuthorizeParams {
  clientId: string;
  redirectUri: string;
  responseType: string;
  scope: string;
  state: string | undefined;
  /** OIDC nonce: carried through consent and echoed in the id_token, as Intuit does. */
  nonce: string | undefined;
}

function errorPage(ctx: RouteContext, title: string, detail: string): void {
  // No redirect on client/redirect_uri errors: bouncing to an unverified URI is an open redirect.
  sendHtml(
    ctx.res,
    400,
    `<!DOCTYPE html><html><head><title>Intuit emulator - error</title></head><body><h1 id="error">${escapeHtml(title)}</h1><p>${escapeHtml(detail)}</p></body></html>`,
  );
}

/** Checks the client and exact redirect URI; renders the error page and returns false if wrong. */
function verifyClient(ctx: RouteContext, p: AuthorizeParams): boolean {
  const client = p.clientId ? ctx.state.store.clients.get(p.clientId) : undefined;
  if (!client) {
    errorPage(ctx, 'invalid_client', 'The client_id is not registered with this emulator.');
    return false;
  }
  if (!p.redirectUri || !client.redirectUris.includes(p.redirectUri)) {
    errorPage(ctx, 'invalid_redirect_uri', 'The redirect_uri does not exactly match one registered for this app.');
    return false;
  }
  return true;
}

function redirectWith(ctx: RouteContext, redirectUri: string, params: Record<string, string | undefined>): void {
  const target = new URL(redirectUri);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) target.searchParams.set(k, v);
  redirect(ctx.res, target.toString());
}

/** Protocol errors that are safe to send back to a verified redirect URI. */
function protocolError(p: AuthorizeParams): string | null {
  if (p.responseType !== 'code') return 'unsupported_response_type';
  const scopes = p.scope.split(/\s+/).filter(Boolean);
  if (scopes.length === 0 || scopes.some((s) => !KNOWN_SCOPES.has(s))) return 'invalid_scope';
  return null;
}

function approve(ctx: RouteContext, p: AuthorizeParams, requestedRealm: string | undefined): void {
  const { state } = ctx;
  const now = state.clock.now();
  const realmId = requestedRealm && isValidRealmId(requestedRealm) ? requestedRealm : state.realmIds.next();
  // Realms are per environment: a sandbox company is not a production one, and the reverse.
  const realmEnvironment = state.store.realmEnvironment(realmId);
  const clientEnvironment = state.store.clientEnvironment(p.clientId);
  if (realmEnvironment && realmEnvironment !== clientEnvironment) {
    return errorPage(
      ctx,
      'invalid_request',
      `realmId ${realmId} is a ${realmEnvironment} company; this app's keys are ${clientEnvironment} keys.`,
    );
  }
  const code = newAuthCode(now);
  state.store.saveCode({
    code,
    clientId: p.clientId,
    redirectUri: p.redirectUri,
    realmId,
    scopes: [...new Set(p.scope.split(/\s+/).filter(Boolean))],
    createdAt: now,
    expiresAt: now + state.config.authCodeTtlSeconds * 1000,
    usedAt: null,
    nonce: p.nonce ?? null,
    grant: null,
  });
  redirectWith(ctx, p.redirectUri, { code, state: p.state, realmId });
}

function consentPage(p: AuthorizeParams): string {
  const hidden = (name: string, value: string | undefined): string =>
    value === undefined ? '' : `<input type="hidden" name="${name}" value="${escapeHtml(value)}">`;
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Intuit emulator - Connect to QuickBooks</title></head>
<body>
<h1>Connect your QuickBooks company</h1>
<p>The app <strong id="client-id">${escapeHtml(p.clientId)}</strong> wants access to: <span id="scopes">${escapeHtml(p.scope)}</span></p>
<form method="post" action="${DECISION_PATH}">
${hidden('client_id', p.clientId)}${hidden('redirect_uri', p.redirectUri)}${hidden('response_type', p.responseType)}${hidden('scope', p.scope)}${hidden('state', p.state)}${hidden('nonce', p.nonce)}
<label for="realmId">Company (realmId, optional)</label>
<input type="text" id="realmId" name="realmId" pattern="[0-9]{10,19}" placeholder="generated if empty">
<button type="submit" id="approve" name="decision" value="approve">Approve</button>
<button type="submit" id="deny" name="decision" value="deny">Deny</button>
</form>
</body></html>`;
}

function paramsFrom(get: (name: string) => string | undefined): AuthorizeParams {
  return {
    clientId: get('client_id') ?? '',
    redirectUri: get('redirect_uri') ?? '',
    responseType: get('response_type') ?? '',
    scope: get('scope') ?? '',
    state: get('state'),
    nonce: get('nonce'),
  };
}

/** GET /connect/oauth2: validate, then consent page (or an immediate code when auto-approving). */
export const authorizeRoute = defineRoute({
  methods: ['GET'],
  path: AUTHORIZE_PATH,
  stats: 'authorize',
  faults: 'authorize',
  handle(ctx) {
    const q = ctx.url.searchParams;
    const p = paramsFrom((n) => q.get(n) ?? undefined);
    if (!verifyClient(ctx, p)) return;
    const error = protocolError(p);
    if (error) return redirectWith(ctx, p.redirectUri, { error, state: p.state });
    const auto = ctx.state.autoApprove;
    if (auto.enabled) return approve(ctx, p, q.get('realmId') ?? auto.realmId);
    sendHtml(ctx.res, 200, consentPage(p));
  },
});

/** POST /connect/oauth2/decision: the consent form's Approve / Deny. */
export const decisionRoute = defineRoute({
  methods: ['POST'],
  path: DECISION_PATH,
  stats: 'authorize',
  body: formOrJsonBody,
  faults: 'authorize',
  handle(ctx, { body }) {
    const p = paramsFrom((n) => body[n]);
    if (!verifyClient(ctx, p)) return;
    if (body.decision === 'deny') return redirectWith(ctx, p.redirectUri, { error: 'access_denied', state: p.state });
    const error = protocolError(p);
    if (error) return redirectWith(ctx, p.redirectUri, { error, state: p.state });
    if (body.realmId && !isValidRealmId(body.realmId)) {
      return errorPage(ctx, 'invalid_request', 'realmId must be 10 to 19 digits.');
    }
    approve(ctx, p, body.realmId || undefined);
  },
});
