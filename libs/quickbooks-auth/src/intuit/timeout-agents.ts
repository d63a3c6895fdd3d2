import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';

export interface SocketTimeouts {
  connectTimeoutMs: number;
  socketTimeoutMs: number;
}

/**
 * Keep-alive agents that bound connecting and socket idleness but never the request as a whole.
 * A token call must not be aborted by an app timeout once sent: a refresh response lost after
 * Intuit rotated the token kills the connection (docs/reliability.md, U1 and U2).
 */
export function createTimeoutAgents(t: SocketTimeouts): { httpAgent: http.Agent; httpsAgent: https.Agent } {
  const guard = (socket: Duplex, connectedEvent: 'connect' | 'secureConnect') => {
    const s = socket as Socket;
    const timer = setTimeout(() => {
      s.destroy(Object.assign(new Error(`connect timeout after ${t.connectTimeoutMs} ms`), { code: 'ECONNECT_TIMEOUT' }));
    }, t.connectTimeoutMs);
    timer.unref();
    s.once(connectedEvent, () => clearTimeout(timer));
    s.once('close', () => clearTimeout(timer));
    s.setTimeout(t.socketTimeoutMs, () => {
      s.destroy(Object.assign(new Error(`socket idle for ${t.socketTimeoutMs} ms`), { code: 'ESOCKETTIMEDOUT' }));
    });
    return socket;
  };
  class GuardedHttpAgent extends http.Agent {
    createConnection(options: http.ClientRequestArgs, cb?: (err: Error | null, socket: Duplex) => void): Duplex {
      // @ts-expect-error createConnection exists on http.Agent at runtime
      return guard(super.createConnection(options, cb), 'connect');
    }
  }
  class GuardedHttpsAgent extends https.Agent {
    createConnection(options: http.ClientRequestArgs, cb?: (err: Error | null, socket: Duplex) => void): Duplex {
      // @ts-expect-error createConnection exists on https.Agent at runtime
      return guard(super.createConnection(options, cb), 'secureConnect');
    }
  }
  return {
    httpAgent: new GuardedHttpAgent({ keepAlive: true, maxSockets: 64 }),
    httpsAgent: new GuardedHttpsAgent({ keepAlive: true, maxSockets: 64 }),
  };
}
