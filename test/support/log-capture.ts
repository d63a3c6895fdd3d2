import type { LoggerService } from '@nestjs/common';

/**
 * Captures everything the app logs, plus raw stdout/stderr writes, so suites can scan it for
 * canary secrets (I5). Lines are kept in memory; nothing is printed unless QB_TEST_LOGS=1.
 */
export class LogCapture implements LoggerService {
  readonly lines: string[] = [];
  private restore: (() => void) | null = null;

  log(message: unknown, ...rest: unknown[]): void {
    this.push('log', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.push('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.push('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.push('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.push('verbose', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.push('fatal', message, rest);
  }

  /** Also record raw process output (pino, console) until `stop()`. */
  tapProcessOutput(): this {
    const out = process.stdout.write.bind(process.stdout);
    const err = process.stderr.write.bind(process.stderr);
    const verbose = process.env.QB_TEST_LOGS === '1';
    process.stdout.write = ((chunk: unknown, ...args: unknown[]) => {
      this.lines.push(String(chunk));
      return verbose ? out(chunk as string, ...(args as [])) : true;
    }) as typeof process.stdout.write;
    process.stderr.write = ((chunk: unknown, ...args: unknown[]) => {
      this.lines.push(String(chunk));
      return verbose ? err(chunk as string, ...(args as [])) : true;
    }) as typeof process.stderr.write;
    this.restore = () => {
      process.stdout.write = out;
      process.stderr.write = err;
    };
    return this;
  }

  stop(): void {
    this.restore?.();
    this.restore = null;
  }

  text(): string {
    return this.lines.join('\n');
  }

  private push(level: string, message: unknown, rest: unknown[]): void {
    const parts = [message, ...rest].map((p) =>
      p instanceof Error ? `${p.name}: ${p.message}\n${p.stack}` : typeof p === 'string' ? p : safeJson(p),
    );
    this.lines.push(`[${level}] ${parts.join(' ')}`);
    if (process.env.QB_TEST_LOGS === '1') process.stdout.write(`[${level}] ${parts.join(' ')}\n`);
  }
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}

/** Every encoding a leaked secret could take in a log line. */
export function secretForms(secret: string): string[] {
  return [
    secret,
    encodeURIComponent(secret),
    Buffer.from(secret).toString('base64'),
    Buffer.from(secret).toString('base64url'),
    JSON.stringify(secret).slice(1, -1),
  ].filter((s, i, all) => s.length >= 8 && all.indexOf(s) === i);
}

/** Returns the secrets (by label) found in `text`, in any encoding. */
export function findLeaks(text: string, secrets: Record<string, string>): string[] {
  const leaks: string[] = [];
  for (const [label, secret] of Object.entries(secrets)) {
    if (!secret) continue;
    if (secretForms(secret).some((form) => text.includes(form))) leaks.push(label);
  }
  return leaks;
}
