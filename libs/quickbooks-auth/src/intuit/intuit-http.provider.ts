import { HttpService } from '@nestjs/axios';
import type { Provider } from '@nestjs/common';
import type { ResolvedQuickBooksAuthOptions } from '../config/resolved-options';
import { QUICKBOOKS_AUTH_RESOLVED_OPTIONS } from '../quickbooks-auth.constants';
import { createTimeoutAgents } from './timeout-agents';

/** @internal The module's own axios instance (HttpModule.register is not global), tuned for Intuit. */
export const QUICKBOOKS_HTTP = 'QUICKBOOKS_AUTH:HTTP';

export const intuitHttpProvider: Provider = {
  provide: QUICKBOOKS_HTTP,
  inject: [HttpService, QUICKBOOKS_AUTH_RESOLVED_OPTIONS],
  useFactory: (http: HttpService, options: ResolvedQuickBooksAuthOptions) => {
    const { httpAgent, httpsAgent } = createTimeoutAgents(options.http);
    Object.assign(http.axiosRef.defaults, {
      httpAgent,
      httpsAgent,
      maxRedirects: 0,
      // Every status is classified by the client itself (I8): no axios exceptions for 4xx/5xx.
      validateStatus: () => true,
      // Keep the body as text; the client parses it and turns garbage into a typed error.
      transformResponse: [(data: unknown) => data],
      responseType: 'text',
    });
    return http;
  },
};
