import type { EmulatorEnvironment } from '../config';
import { authorizeRoute, decisionRoute } from './authorize';
import { companyInfoRoute } from './company-info';
import { controlRoutes } from './control';
import { discoveryRoutes, jwksRoute } from './discovery';
import { migrateRoute } from './migrate';
import { compilePathPattern, type PathMatcher, type PathParams } from './path-pattern';
import { queryRoute } from './query';
import { revokeRoute } from './revoke';
import type { AnyRoute } from './route-spec';
import { tokenRoute } from './token';
import { userInfoRoute } from './userinfo';

/**
 * Every route the emulator serves, Intuit's and the control API's, first match wins. Each row says
 * which steps of the request pipeline apply to it (see RouteSpec); nothing is routed elsewhere.
 */
export const ROUTES: readonly AnyRoute[] = [
  ...discoveryRoutes,
  jwksRoute,
  authorizeRoute,
  decisionRoute,
  tokenRoute,
  revokeRoute,
  migrateRoute,
  userInfoRoute,
  companyInfoRoute,
  queryRoute,
  ...controlRoutes,
];

/** `/sandbox/…` or `/production/…`: an explicit environment in front of the QBO API and userinfo paths. */
const NAMESPACE_PREFIX = /^\/(sandbox|production)(\/.*)$/;

export interface ResolvedRoute {
  route: AnyRoute;
  params: PathParams;
  /** The path the route sees: without the namespace prefix. */
  path: string;
  /** The namespace's environment, or null for an un-prefixed path (the instance's default). */
  environment: EmulatorEnvironment | null;
}

const COMPILED: ReadonlyArray<{ route: AnyRoute; match: PathMatcher }> = ROUTES.map((route) => ({
  route,
  match: compilePathPattern(route.path),
}));

/**
 * The route serving this method and path, or null (no route). Under a namespace prefix only
 * namespaced routes are candidates. A route takes another method only when it answers 405 for it.
 */
export function resolveRoute(method: string, path: string): ResolvedRoute | null {
  const namespace = NAMESPACE_PREFIX.exec(path);
  const routePath = namespace ? namespace[2] : path;
  for (const { route, match } of COMPILED) {
    if (namespace && !route.namespaced) continue;
    if (!servesMethod(route, method) && route.otherMethods !== 'use_post') continue;
    const params = match(routePath);
    if (params) return { route, params, path: routePath, environment: namespace ? (namespace[1] as EmulatorEnvironment) : null };
  }
  return null;
}

export function servesMethod(route: AnyRoute, method: string): boolean {
  return route.methods === 'ANY' || (route.methods as readonly string[]).includes(method);
}
