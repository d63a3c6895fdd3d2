/**
 * What the page says for the codes it may receive in `?error=`. Only known codes are shown, so
 * the query string cannot put arbitrary text on the page.
 */
const ERROR_MESSAGES: Record<string, string> = {
  invalid_api_key: 'That API key is not valid.',
  login_required: 'Please log in to continue.',
  authorization_denied: 'QuickBooks access was not granted.',
  invalid_state: 'That connect attempt expired or was already used. Please connect again.',
  invalid_callback: 'QuickBooks sent back an incomplete answer. Please connect again.',
  connection_not_found: 'That connection does not exist.',
  reauthorization_required: 'QuickBooks no longer accepts that connection. Please connect it again.',
  quickbooks_unavailable: 'QuickBooks is temporarily unavailable. Please try again shortly.',
  intuit_error: 'Intuit refused the request. Please connect again.',
  invalid_csrf_token: 'The form expired. Please try again.',
  invalid_code: 'That QuickBooks authorization was invalid or already used. Please connect again.',
  too_many_failed_attempts: 'Too many failed attempts. Please wait a few minutes and try again.',
  cross_site_request: 'That request came from another site and was refused.',
};

export function errorMessage(code: unknown): string | null {
  if (typeof code !== 'string' || !code) return null;
  return ERROR_MESSAGES[code] ?? 'Something went wrong. Please try again.';
}

const REALM_ID = /^[0-9]{1,32}$/;

export function noticeMessage(query: { connected?: unknown; disconnected?: unknown }): string | null {
  if (typeof query.connected === 'string' && REALM_ID.test(query.connected)) return `Connected QuickBooks company ${query.connected}.`;
  if (typeof query.disconnected === 'string' && REALM_ID.test(query.disconnected))
    return `Disconnected QuickBooks company ${query.disconnected}.`;
  return null;
}
