import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatorState } from '../emulator-state';

/** What every route handler gets: the raw request/response plus the instance state. */
export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** Pathname without a trailing slash (Intuit tolerates one on discovery). */
  path: string;
  state: EmulatorState;
}
