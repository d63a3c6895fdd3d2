/** The authenticated caller of a request. The tenant comes only from its credentials (I7). */
export interface Caller {
  tenantId: string;
  /** Binds OAuth state to this browser session or API credential, so a callback from elsewhere is refused. */
  sessionId: string;
  via: 'api-key' | 'session';
  /** Anti-CSRF token for the page's forms (session callers only). */
  csrfToken: string | null;
}

/** Express request with the caller attached by CallerGuard. */
export interface RequestWithCaller {
  caller?: Caller;
}
