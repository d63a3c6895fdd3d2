import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatorEnvironment } from '../config';
import type { EmulatorState } from '../emulator-state';

/** What every route handler gets: the raw request/response plus the instance state. */
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
}
