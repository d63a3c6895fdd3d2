/** Command-line flags shared by `npm run bench` and `npm run chaos` (`--name value` or `--flag`). */
export class Args {
  private readonly values = new Map<string, string | true>();

  constructor(argv: string[] = process.argv.slice(2)) {
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i];
      if (!a.startsWith('--')) continue;
      const [name, inline] = a.slice(2).split('=', 2);
      if (inline !== undefined) this.values.set(name, inline);
      else if (argv[i + 1] !== undefined && !argv[i + 1].startsWith('--')) this.values.set(name, argv[++i]);
      else this.values.set(name, true);
    }
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
    return typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : null;
  }
}
