import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '../..');

export interface PackedTarballs {
  library: string;
  emulator: string;
  version: string;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

/** A digest of everything that goes into the tarballs: sources, manifests, docs, the pack script. */
function inputsDigest(): string {
  const hash = createHash('sha256');
  const inputs = [
    ...filesUnder(join(ROOT, 'libs')),
    ...filesUnder(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')),
    ...filesUnder(join(ROOT, 'deploy')),
    join(ROOT, 'package.json'),
    join(ROOT, 'tsconfig.json'),
    join(ROOT, 'scripts', 'pack-packages.js'),
  ].sort();
  for (const file of inputs) hash.update(file).update(readFileSync(file));
  return hash.digest('hex').slice(0, 16);
}

/**
 * Both tarballs as `npm run pack` makes them, built once per content of their inputs: the
 * package-contents and consumer suites of one `npm test` share one build (in os.tmpdir, never in
 * the repository's dist/, which a developer may be using).
 */
export function packedTarballs(): PackedTarballs {
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const base = join(tmpdir(), `qb-packages-${inputsDigest()}`);
  const library = join(base, 'out', `quickbooks-auth-nestjs-${version}.tgz`);
  const emulator = join(base, 'out', `quickbooks-auth-intuit-emulator-${version}.tgz`);
  if (!existsSync(library) || !existsSync(emulator)) {
    execFileSync(
      process.execPath,
      [join(ROOT, 'scripts', 'pack-packages.js'), '--out', join(base, 'out'), '--stage', join(base, 'stage'), '--quiet'],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
  }
  return { library, emulator, version };
}
