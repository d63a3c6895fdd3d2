import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { compiledTree } from './compiled-tree';
import type { ProtocolEvent, ReplicaInit, ReplicaMessage, ReplicaRequest, ServedSample } from './replica-protocol';

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };
type OnServed = (samples: ServedSample[], errors: Record<string, number>) => void;
/** What the parent wants to hear from a replica besides replies. */
export interface ReplicaReports {
  onServed?: OnServed;
  onProtocol?: (event: ProtocolEvent) => void;
}
type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;

/** A forked replica process running QuickBooksAuthModule, driven over IPC. */
export class ReplicaProcess {
  /** Every replica forked by this process and not yet exited, so a run can make sure none outlives it. */
  private static readonly running = new Set<ReplicaProcess>();
  readonly child: ChildProcess;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  exited = false;
  exitSignal: NodeJS.Signals | null = null;
  exitCode: number | null = null;
  /** SIGKILL was sent (the process may not have exited yet). */
  killed = false;
  private readonly exitedPromise: Promise<void>;

  constructor(
    readonly name: string,
    reports: OnServed | ReplicaReports = {},
    compiled = false,
  ) {
    const { onServed, onProtocol } = typeof reports === 'function' ? { onServed: reports, onProtocol: undefined } : reports;
    // compiled: plain JavaScript, as a host runs the module (compiledTree); else through ts-node.
    const tree = compiled ? compiledTree() : null;
    // QB_BENCH_CPU_PROF=<dir>: each replica writes a V8 CPU profile there when it exits (node --cpu-prof).
    // QB_BENCH_REPLICA_NODE_ARGS="--max-semi-space-size=32 …": more node flags for each replica (V8 tuning experiments).
    const profile = [
      ...(process.env.QB_BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.QB_BENCH_CPU_PROF}`] : []),
      ...(process.env.QB_BENCH_REPLICA_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? []),
    ];
    this.child = fork(tree ? join(tree, 'bench', 'lib', 'replica-worker.js') : join(__dirname, 'replica-worker.ts'), [], {
      execArgv: tree
        ? ['-r', 'tsconfig-paths/register', ...profile]
        : ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', ...profile],
      cwd: tree ?? join(__dirname, '..', '..'),
      env: tree ? { ...process.env, TS_NODE_PROJECT: join(tree, 'tsconfig.json') } : { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (m: ReplicaMessage) => {
      if ('report' in m) return m.report === 'served' ? onServed?.(m.samples, m.errors) : onProtocol?.(m.event);
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.result);
      else p.reject(new Error(`${this.name}: ${m.error}`));
    });
    ReplicaProcess.running.add(this);
    this.exitedPromise = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.on('exit', (code, signal) => {
      ReplicaProcess.running.delete(this);
      this.exited = true;
      this.exitSignal = signal;
      this.exitCode = code;
      for (const p of this.pending.values()) p.reject(new Error(`${this.name} exited (${signal ?? code})`));
      this.pending.clear();
    });
  }

  /** `compiled`: run the replica as compiled JavaScript (what the scale and stampede figures measure). */
  static async start(
    init: ReplicaInit,
    reports?: OnServed | ReplicaReports,
    options: { compiled?: boolean } = {},
  ): Promise<ReplicaProcess> {
    const r = new ReplicaProcess(init.name, reports, options.compiled ?? false);
    try {
      await r.request({ type: 'init', init });
    } catch (err) {
      // A replica that could not boot (its store was down, say) must not linger: its IPC channel
      // would keep the parent (a bench, or jest) from ever exiting.
      r.signal('SIGKILL');
      await r.exitedPromise;
      throw err;
    }
    return r;
  }

  /** SIGKILLs every replica this process forked that is still running, and waits for them to exit. */
  static async killAll(): Promise<void> {
    const left = [...ReplicaProcess.running];
    for (const r of left) r.signal('SIGKILL');
    await Promise.all(left.map((r) => r.exitedPromise));
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
    if (this.exited) return;
    if (sig === 'SIGKILL') this.killed = true;
    this.child.kill(sig);
  }

  /**
   * Graceful stop (the module drains refreshes in flight): the 'stop' request, or SIGTERM as an
   * orchestrator sends it. SIGKILL if it takes longer than `timeoutMs`; resolves true when it had to.
   */
  async stop(timeoutMs = 15_000, how: 'request' | 'SIGTERM' = 'request'): Promise<boolean> {
    if (this.exited) return false;
    if (how === 'SIGTERM') this.signal('SIGTERM');
    else this.request({ type: 'stop' }).catch(() => undefined);
    let forced = false;
    const timer = setTimeout(() => {
      forced = true;
      this.signal('SIGKILL');
    }, timeoutMs);
    await this.exitedPromise;
    clearTimeout(timer);
    return forced;
  }
}
