import { parseArgs } from 'node:util';

/**
 * Command-line flags shared by `npm run bench` and `npm run chaos` (`--name value`, `--name=value`
 * or `--flag`). Lenient on purpose: the two scripts read different flags from one parser, and a
 * flag neither reads is ignored. `node:util` parseArgs splits the line into tokens; a `--name`
 * followed by a plain word takes it as its value.
 */
export class Args {
  private readonly values = new Map<string, string | true>();

  constructor(argv: string[] = process.argv.slice(2)) {
    const { tokens } = parseArgs({ args: argv, strict: false, allowPositionals: true, tokens: true });
    tokens.forEach((token, i) => {
      if (token.kind !== 'option' || !token.rawName.startsWith('--')) return;
      const next = tokens[i + 1];
      if (token.inlineValue) this.values.set(token.name, token.value ?? '');
      else if (next?.kind === 'positional' && next.index === token.index + 1) this.values.set(token.name, next.value);
      else this.values.set(token.name, true);
    });
  }

  flag(name: string): boolean {
    return this.values.has(name);
  }

  number(name: string, fallback: number): number {
    const v = this.values.get(name);
    if (v === undefined || v === true) return fallback;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new Error(`--${name} must be a number, got ${v}`);
    return n;
  }

  string(name: string, fallback: string): string {
    const v = this.values.get(name);
    return typeof v === 'string' ? v : fallback;
  }

  list(name: string): string[] | null {
    const v = this.values.get(name);
    return typeof v === 'string'
      ? v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : null;
  }
}
