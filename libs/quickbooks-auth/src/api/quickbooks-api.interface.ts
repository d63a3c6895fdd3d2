/** One call to the QBO accounting API, relative to `/v3/company/{realmId}/`. @publicApi */
export interface QuickBooksApiRequest {
  /** QBO uses GET to read and POST to create, update and delete (`?operation=delete`). Default GET. */
  method?: 'GET' | 'POST';
  /** Under `/v3/company/{realmId}/`, e.g. `companyinfo/123`, `invoice/42`, `query`. No leading slash, no `..`. */
  path: string;
  /** Query parameters; `minorversion` defaults to QBO_MINOR_VERSION. */
  query?: Record<string, string | number | boolean | undefined>;
  /** An object is sent as JSON; a string as is, with `contentType` (default `application/text`, what QBO's query endpoint takes). */
  body?: unknown;
  contentType?: string;
  /** Whole-request timeout (default: the module's `http.requestTimeoutMs`). */
  timeoutMs?: number;
  /** Aborts the call: while it waits its turn at the API governor, and the request itself once sent. */
  signal?: AbortSignal;
  /** Longest wait for the realm's turn at the API governor (ms; default `apiGovernor.queueTimeoutMs`). */
  queueTimeoutMs?: number;
}

/** QBO's CompanyInfo entity: the fields every company has typed, the rest as sent. @publicApi */
export interface QuickBooksCompanyInfo {
  Id: string;
  CompanyName: string;
  LegalName?: string;
  Country?: string;
  SyncToken?: string;
  [field: string]: unknown;
}

/** QBO's `QueryResponse`: the matching entities under their name (`Customer: [...]`), plus paging. @publicApi */
export interface QuickBooksQueryResponse {
  startPosition?: number;
  maxResults?: number;
  totalCount?: number;
  [entity: string]: unknown;
}
