/** @internal Options of the module after validation and defaults. */
export const QUICKBOOKS_AUTH_RESOLVED_OPTIONS = 'QUICKBOOKS_AUTH:RESOLVED_OPTIONS';
/** @internal Raw options as given to forRoot/forRootAsync. */
export const QUICKBOOKS_AUTH_MODULE_OPTIONS = 'QUICKBOOKS_AUTH:MODULE_OPTIONS';
/** @internal The TokenStorage backend in use. */
export const QUICKBOOKS_TOKEN_STORAGE = 'QUICKBOOKS_AUTH:TOKEN_STORAGE';
/** @internal The TokenCipher built from the key ring. */
export const QUICKBOOKS_TOKEN_CIPHER = 'QUICKBOOKS_AUTH:TOKEN_CIPHER';
/** @internal Store of consumed OAuth state nonces (single use). */
export const QUICKBOOKS_STATE_NONCE_STORE = 'QUICKBOOKS_AUTH:STATE_NONCE_STORE';

/** Namespace of the `registerAs` config factory. */
export const QUICKBOOKS_CONFIG_NAMESPACE = 'quickbooks';

/** What connect asks for by default; `openid` is added to any list (the callback needs the id_token). */
export const DEFAULT_SCOPES = ['com.intuit.quickbooks.accounting', 'openid'];

/** Intuit's published discovery documents. */
export const INTUIT_DISCOVERY_URLS = {
  sandbox: 'https://developer.api.intuit.com/.well-known/openid_sandbox_configuration',
  production: 'https://developer.api.intuit.com/.well-known/openid_configuration',
} as const;

/** QBO accounting API hosts. */
export const INTUIT_API_BASE_URLS = {
  sandbox: 'https://sandbox-quickbooks.api.intuit.com',
  production: 'https://quickbooks.api.intuit.com',
} as const;
/** @internal Storage backend plus the resources the module opened for it. */
export const QUICKBOOKS_STORAGE_HANDLE = 'QUICKBOOKS_AUTH:STORAGE_HANDLE';
