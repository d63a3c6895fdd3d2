import type { ModuleRef } from '@nestjs/core';

/** What the publisher needs of @nestjs/event-emitter's EventEmitter2 (structural: that package is an optional peer). */
export interface HostEventEmitter {
  emit(event: string, payload: unknown): unknown;
}

/** Why no host emitter was found, for one start-up log line. */
export type NoHostEmitterReason = 'package_not_installed' | 'module_not_imported';

export type HostEmitterLookup = { emitter: HostEventEmitter } | { emitter: null; reason: NoHostEmitterReason };

type EventEmitterPackage = { EventEmitter2: abstract new (...args: never[]) => HostEventEmitter };

// eslint-disable-next-line @typescript-eslint/no-require-imports
const loadPackage = (): EventEmitterPackage => require('@nestjs/event-emitter') as EventEmitterPackage;

/**
 * The host's EventEmitter2, looked up only after every provider exists. `@nestjs/event-emitter`
 * is required here, lazily, so a host that did not install it still boots (events then reach only
 * the module's in-process subscribers: logs and metrics). Any other load failure is rethrown.
 */
export function findHostEventEmitter(moduleRef: Pick<ModuleRef, 'get'>, load: () => EventEmitterPackage = loadPackage): HostEmitterLookup {
  let pkg: EventEmitterPackage;
  try {
    pkg = load();
  } catch (err) {
    if (isMissing(err, '@nestjs/event-emitter')) return { emitter: null, reason: 'package_not_installed' };
    throw err;
  }
  try {
    return { emitter: moduleRef.get<HostEventEmitter>(pkg.EventEmitter2, { strict: false }) };
  } catch {
    // Installed but EventEmitterModule.forRoot() not imported by the host.
    return { emitter: null, reason: 'module_not_imported' };
  }
}

/** Node's "not installed" for this very package, not for something it requires itself. */
function isMissing(err: unknown, pkg: string): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  return e?.code === 'MODULE_NOT_FOUND' && typeof e.message === 'string' && e.message.includes(`'${pkg}'`);
}
