import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatorEnvironment } from '../config';
import type { EmulatorState } from '../emulator-state';
import type { PathParams } from './path-pattern';

/** What every route handler gets: the raw request/response, the instance state and the matched path. */
export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** Pathname without a trailing slash (Intuit tolerates one on discovery). */
  path: string;
  state: EmulatorState;
  /**
   * The environment the request addresses: its `/sandbox` or `/production` path prefix (stripped
   * from `path`), else the instance's default. Only the QBO API and userinfo routes read it.
   */
  environment: EmulatorEnvironment;
  /** The matched route's `:name` path parameters, still percent-encoded. */
  params: PathParams;
}
