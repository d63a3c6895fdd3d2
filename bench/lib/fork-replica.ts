import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { ReplicaInit, ReplicaMessage, ReplicaRequest, ServedSample } from './replica-protocol';

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };
type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;

/** A forked replica process running QuickBooksAuthModule, driven over IPC. */
export class ReplicaProcess {
  readonly child: ChildProcess;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  exited = false;
  exitSignal: NodeJS.Signals | null = null;

  constructor(
    readonly name: string,
    onServed?: (samples: ServedSample[], errors: Record<string, number>) => void,
  ) {
    this.child = fork(join(__dirname, 'replica-worker.ts'), [], {
      execArgv: ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register'],
      cwd: join(__dirname, '..', '..'),
      env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (m: ReplicaMessage) => {
      if ('report' in m) return onServed?.(m.samples, m.errors);
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.result);
      else p.reject(new Error(`${this.name}: ${m.error}`));
    });
    this.child.on('exit', (_code, signal) => {
      this.exited = true;
      this.exitSignal = signal;
      for (const p of this.pending.values()) p.reject(new Error(`${this.name} exited (${signal ?? _code})`));
      this.pending.clear();
    });
  }

  static async start(init: ReplicaInit, onServed?: (samples: ServedSample[], errors: Record<string, number>) => void): Promise<ReplicaProcess> {
    const r = new ReplicaProcess(init.name, onServed);
    await r.request({ type: 'init', init });
    return r;
  }

  request<T = unknown>(req: DistributiveOmit<ReplicaRequest, 'id'>): Promise<T> {
    if (this.exited) return Promise.reject(new Error(`${this.name} is not running`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ ...req, id } as ReplicaRequest);
    });
  }

  signal(sig: NodeJS.Signals): void {
    if (!this.exited) this.child.kill(sig);
  }

  /** Graceful stop (the module drains refreshes in flight); SIGKILL if it takes too long. */
  async stop(timeoutMs = 15_000): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.request({ type: 'stop' }).catch(() => undefined);
    const timer = setTimeout(() => this.signal('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(timer);
  }
}
