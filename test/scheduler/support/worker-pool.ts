import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { WorkerCommand, WorkerConfig, WorkerReply, WorkerStats } from './worker-protocol';

const ROOT = join(__dirname, '..', '..', '..');

/** One forked refresh worker and a tiny request/reply layer over its IPC channel. */
export class RefreshWorker {
  private seq = 0;
  private readonly pending = new Map<number, (reply: WorkerReply) => void>();
  readonly ready: Promise<number>;
  readonly exited: Promise<number | null>;
  /** Tail of the worker's output (warnings and errors only: its logger is quiet otherwise). */
  stderr = '';

  private constructor(
    readonly config: WorkerConfig,
    private readonly child: ChildProcess,
  ) {
    this.ready = new Promise((resolve, reject) => {
      child.on('message', (msg: WorkerReply) => {
        if (msg.type === 'ready') resolve(msg.bootMs);
        else if (msg.type === 'error') reject(new Error(`worker ${config.instanceId}: ${msg.message}`));
        else this.pending.get(msg.seq)?.(msg);
      });
      child.once('exit', (code) =>
        reject(new Error(`worker ${config.instanceId} exited with ${code} before ready: ${this.stderr.slice(-2000)}`)),
      );
    });
    this.ready.catch(() => undefined);
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    child.stdout?.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-20_000);
    });
    child.stderr?.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-20_000);
    });
  }

  /** Forks `refresh-worker.ts` through ts-node (transpile only) with the repo's path aliases. */
  static start(config: WorkerConfig): RefreshWorker {
    const child = fork(join(__dirname, 'refresh-worker.ts'), [], {
      cwd: ROOT,
      execArgv: ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register'],
      env: { ...process.env, TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'), QB_WORKER_CONFIG: JSON.stringify(config) },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    return new RefreshWorker(config, child);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  setClock(offsetMs: number): Promise<WorkerReply> {
    return this.request({ type: 'clock', offsetMs, seq: 0 });
  }

  async stats(): Promise<WorkerStats> {
    const reply = await this.request({ type: 'stats', seq: 0 });
    if (reply.type !== 'stats') throw new Error('unexpected reply');
    return reply.stats;
  }

  /** Graceful stop: the worker closes its app (stops claiming, awaits in-flight) and exits. */
  async stop(): Promise<void> {
    if (!this.alive) return;
    await Promise.race([this.request({ type: 'stop', seq: 0 }), this.exited]);
    await Promise.race([this.exited, new Promise((r) => setTimeout(r, 5000).unref())]);
    if (this.alive) this.child.kill('SIGKILL');
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  private request(cmd: WorkerCommand): Promise<WorkerReply> {
    const seq = ++this.seq;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(seq);
        reject(new Error(`worker ${this.config.instanceId} did not answer ${cmd.type}`));
      }, 10_000);
      timer.unref();
      this.pending.set(seq, (reply) => {
        clearTimeout(timer);
        this.pending.delete(seq);
        resolve(reply);
      });
      this.child.send({ ...cmd, seq });
    });
  }
}
