import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { GovernorWorkerCommand, GovernorWorkerConfig, GovernorWorkerReply, GovernorWorkerStatus } from './governor-worker-protocol';

const ROOT = join(__dirname, '..', '..', '..');

/** One forked governor replica and a small request/reply layer over its IPC channel. */
export class GovernorReplica {
  private seq = 0;
  private readonly pending = new Map<number, (reply: GovernorWorkerReply) => void>();
  readonly ready: Promise<void>;
  private output = '';

  private constructor(
    readonly config: GovernorWorkerConfig,
    private readonly child: ChildProcess,
  ) {
    this.ready = new Promise((resolve, reject) => {
      child.on('message', (msg: GovernorWorkerReply) => {
        if (msg.type === 'ready') resolve();
        else if (msg.type === 'error') reject(new Error(`replica ${config.instanceId}: ${msg.message}`));
        else this.pending.get(msg.seq)?.(msg);
      });
      child.once('exit', (code) => reject(new Error(`replica ${config.instanceId} exited with ${code}: ${this.output.slice(-2000)}`)));
    });
    this.ready.catch(() => undefined);
    const keep = (d: Buffer) => void (this.output = (this.output + d.toString()).slice(-20_000));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }

  /** Forks governor-worker.ts through ts-node (transpile only) with the repo's path aliases. */
  static start(config: GovernorWorkerConfig): GovernorReplica {
    const child = fork(join(__dirname, 'governor-worker.ts'), [], {
      cwd: ROOT,
      execArgv: ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register'],
      env: { ...process.env, TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'), QB_GOVERNOR_WORKER: JSON.stringify(config) },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    return new GovernorReplica(config, child);
  }

  /** Starts `count` concurrent getCompanyInfo calls (returns once they are started). */
  async calls(count: number): Promise<void> {
    await this.request({ type: 'calls', seq: 0, count });
  }

  async setClock(offsetMs: number): Promise<void> {
    await this.request({ type: 'clock', seq: 0, offsetMs });
  }

  async status(): Promise<GovernorWorkerStatus> {
    const reply = await this.request({ type: 'status', seq: 0 });
    if (reply.type !== 'done' || !reply.status) throw new Error('unexpected reply');
    return reply.status;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.send({ type: 'stop', seq: ++this.seq });
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000).unref())]);
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  private request(cmd: GovernorWorkerCommand): Promise<GovernorWorkerReply> {
    const seq = ++this.seq;
    return new Promise((resolve) => {
      this.pending.set(seq, (reply) => {
        this.pending.delete(seq);
        resolve(reply);
      });
      this.child.send({ ...cmd, seq });
    });
  }
}
