import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExampleBuild } from './example-build';

export interface ReplicaExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Date.now() when the exit was seen. */
  at: number;
}

/**
 * One example-app replica as a real child process: `main.js` of a transpile-only build of the
 * working tree (buildExampleApp), what `npm start` runs minus webpack. It runs in a scratch
 * directory of its own (no developer's `.env` is loaded) with only the environment given here.
 * Its output is kept in memory, never printed (it is scanned for secrets instead).
 */
export class ExampleReplica {
  /** Every line the process wrote to stdout or stderr. */
  readonly lines: string[] = [];
  /** Resolves once the app listens (main.ts prints its banner after `app.listen`). */
  readonly ready: Promise<void>;
  readonly exited: Promise<ReplicaExit>;
  private exit: ReplicaExit | null = null;
  private readonly cwd: string;

  private constructor(
    readonly name: string,
    readonly port: number,
    private readonly child: ChildProcess,
    cwd: string,
  ) {
    this.cwd = cwd;
    let listening: () => void = () => undefined;
    let failed: (err: Error) => void = () => undefined;
    this.ready = new Promise<void>((resolve, reject) => {
      listening = resolve;
      failed = reject;
    });
    let buffered = '';
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        this.lines.push(line);
        if (line.includes(' listening on ')) listening();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    this.exited = new Promise((resolve) => {
      // 'close', not 'exit': every line written before exiting (the drain line) has been read by then.
      child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
        if (buffered) this.lines.push(buffered);
        this.exit = { code, signal, at: Date.now() };
        rmSync(this.cwd, { recursive: true, force: true });
        // No-op once it listened; otherwise startup failed (the last lines name the variable, never a value).
        failed(new Error(`${name} exited (${signal ?? code}) before listening:\n${this.messages().slice(-15).join('\n')}`));
        resolve(this.exit);
      });
    });
    this.ready.catch(() => undefined);
  }

  /** Starts `main.ts` in live mode with `env` (QB_* and EXAMPLE_* only; PORT is set here). */
  static start(build: ExampleBuild, name: string, port: number, env: Record<string, string>): ExampleReplica {
    const cwd = mkdtempSync(join(tmpdir(), `qb-replica-${name}-`));
    const child = spawn(process.execPath, ['-r', require.resolve('tsconfig-paths/register'), build.main], {
      cwd,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd, TS_NODE_PROJECT: build.tsconfig, ...env, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new ExampleReplica(name, port, child, cwd);
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number {
    return this.child.pid!;
  }

  get alive(): boolean {
    return this.exit === null;
  }

  /** What a rolling deploy sends. Returns when it was sent. */
  sigterm(): number {
    this.child.kill('SIGTERM');
    return Date.now();
  }

  /** Cleanup only: a replica that outlived its test. */
  async destroy(): Promise<void> {
    if (this.alive) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** The `msg` of every JSON log line (pino), plus non-JSON lines as they are. */
  messages(): string[] {
    return this.lines.map((line) => {
      try {
        const parsed = JSON.parse(line) as { msg?: unknown };
        return typeof parsed.msg === 'string' ? parsed.msg : line;
      } catch {
        return line;
      }
    });
  }

  /** The full output, for secret scans. */
  text(): string {
    return this.lines.join('\n');
  }
}
