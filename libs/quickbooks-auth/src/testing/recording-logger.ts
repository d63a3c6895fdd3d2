import type { LoggerService } from '@nestjs/common';

/**
 * A Nest logger that keeps every line in memory (`lines`) and prints nothing, so a test can assert
 * on what the module logged, or that no secret was logged (I5). `QB_TEST_LOGS=1` also prints them.
 */
export class RecordingLogger implements LoggerService {
  readonly lines: string[] = [];

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

  /** Every line, joined. */
  text(): string {
    return this.lines.join('\n');
  }

  private push(level: string, message: unknown, rest: unknown[]): void {
    const line = `[${level}] ${[message, ...rest].map(describe).join(' ')}`;
    this.lines.push(line);
    if (process.env.QB_TEST_LOGS === '1') process.stdout.write(`${line}\n`);
  }
}

function describe(part: unknown): string {
  if (part instanceof Error) return `${part.name}: ${part.message}`;
  if (typeof part === 'string') return part;
  try {
    return JSON.stringify(part);
  } catch {
    return String(part);
  }
}
