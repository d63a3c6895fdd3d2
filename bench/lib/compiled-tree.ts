import { mkdtempSync, mkdirSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';

const ROOT = join(__dirname, '..', '..');
/** What a replica loads: the libraries, the bench harness and the test helpers it imports. */
const SOURCE_DIRS = ['libs', 'bench/lib', 'test/support'];

let built: string | null = null;

/**
 * The replica's code as plain JavaScript, the way a host runs the module (compiled, not through
 * ts-node): every source file transpiled on its own, as ts-node's transpile-only mode does (same
 * decorators and metadata), into a temporary tree removed when this process exits. ts-node and
 * the TypeScript compiler it keeps loaded cost a replica about 100 MB of RSS that no deployment has.
 * Returns the tree's root; `tsconfig.json` there maps the @quickbooks-auth/* paths for tsconfig-paths.
 */
export function compiledTree(): string {
  if (built) return built;
  const out = mkdtempSync(join(tmpdir(), 'qb-bench-js-'));
  process.once('exit', () => rmSync(out, { recursive: true, force: true }));
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.CommonJS,
    target: ts.ScriptTarget.ES2023,
    esModuleInterop: true,
    experimentalDecorators: true,
    emitDecoratorMetadata: true,
    allowSyntheticDefaultImports: true,
  };
  for (const dir of SOURCE_DIRS) {
    for (const file of walk(join(ROOT, dir))) {
      const target = join(out, relative(ROOT, file)).replace(/\.ts$/, '.js');
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, ts.transpileModule(readFileSync(file, 'utf8'), { compilerOptions: options, fileName: file }).outputText);
    }
  }
  const base = JSON.parse(readFileSync(join(ROOT, 'tsconfig.json'), 'utf8')) as { compilerOptions: { paths: Record<string, string[]> } };
  writeFileSync(join(out, 'tsconfig.json'), JSON.stringify({ compilerOptions: { baseUrl: './', paths: base.compilerOptions.paths } }));
  symlinkSync(join(ROOT, 'node_modules'), join(out, 'node_modules'));
  built = out;
  return out;
}

function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'dist') continue;
    if (statSync(path).isDirectory()) yield* walk(path);
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts') && !/\.(spec|int-spec|e2e-spec)\.ts$/.test(name)) yield path;
  }
}
