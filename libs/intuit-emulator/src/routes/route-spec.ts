import type { EmulatorClient } from '../config';
import type { ProtocolEndpoint } from '../faults';
import type { Grant } from '../token-store';
import type { BodyReader } from './body-readers';
import type { ArmedFaults } from './fault-gate';
import type { RouteContext } from './route-context';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** What the pipeline hands a route's handler: the outcome of the steps the route asked for. */
export interface RouteInput<Body> {
  /** The body as the route's reader produced it (undefined without a reader). */
  body: Body;
  /** Rules armed by the fault gate that act after processing (drop/withhold after rotate, bad id_token). */
  faults: ArmedFaults;
  /** The authenticated client, for routes with `clientAuth`. */
  client: EmulatorClient;
  /** The caller's grant, for QBO API routes (`qbo`), after Intuit's token, realm and throttle checks. */
  grant: Grant;
  /** The decoded `:realmId` of a QBO API route. */
  realmId: string;
}

/**
 * One row of the route table: which requests it serves and which pipeline steps apply, in the
 * order the pipeline runs them (stats, method, control guard, QBO slot, body, tracking, faults,
 * client auth, QBO checks, handler).
 */
export interface RouteSpec<Body = undefined> {
  /** Methods served; 'ANY' serves every method. */
  methods: readonly HttpMethod[] | 'ANY';
  /** Path pattern: literal segments, `:name` parameters, a final `**` for any rest (none included). */
  path: string;
  /** Also served under `/sandbox/…` and `/production/…` (the QBO API and userinfo). */
  namespaced?: boolean;
  /**
   * Another method: by default the route does not match (the request falls through to "no route");
   * 'use_post' answers 405 `Use POST` after counting the call, as Intuit's token and revoke endpoints do.
   */
  otherMethods?: 'use_post';
  /** Counted in `stats.calls.byEndpoint` under this name. */
  stats?: string;
  /** A control API route: Host, Origin, content type and token are checked before anything is read. */
  control?: boolean;
  /**
   * A QBO API call: a concurrent-request slot is held for the realm before the body and faults,
   * and the token, environment, realm and throttles are checked after the fault gate.
   */
  qbo?: boolean;
  /** How the body is read and parsed; without one, the body is not read. */
  body?: BodyReader<Body>;
  /** Counting done before any injected latency (returns a release run when the request ends). */
  track?: (ctx: RouteContext, body: Body) => (() => void) | null;
  /** Subject to fault injection as this endpoint; `grantType` narrows rules with a grant type. */
  faults?: ProtocolEndpoint;
  /** The grant type fault rules with `grantType` are matched against (the token endpoint). */
  faultGrantType?: (body: Body) => string | undefined;
  /** Client authentication by HTTP Basic or body credentials; a bad one answers 401 invalid_client. */
  clientAuth?: boolean;
  handle(ctx: RouteContext, input: RouteInput<NoInfer<Body>>): Promise<void> | void;
}

/**
 * A route whose body type is erased, so routes with different bodies share one table.
 * `defineRoute` keeps each row type-checked against its own body reader.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyRoute = RouteSpec<any>;

export function defineRoute<Body>(spec: RouteSpec<Body>): AnyRoute {
  return spec;
}
