import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';

const ROOT = join(__dirname, '..', '..');
/** Everything main.ts can reach: the app and the two libraries behind its path aliases. */
const SOURCES = ['apps/example/src', 'libs/quickbooks-auth/src', 'libs/intuit-emulator/src'];
/** Transpiled files by hash of (compiler, options, path, source): unchanged files are not transpiled again. */
const CACHE_DIR = join(tmpdir(), 'qb-example-transpile-cache');

export interface ExampleBuild {
  /** apps/example/src/main.js of the build. */
  main: string;
  /** A tsconfig with the repository's path aliases, relative to the build (for tsconfig-paths). */
  tsconfig: string;
  remove(): void;
}

/**
 * A transpile-only build of the working tree into a scratch directory: what `ts-node
 * --transpile-only` does file by file on every start, done once per suite, so each replica start
 * only loads JavaScript (a rolling deploy starts four). Same compiler options as the repository
 * (CommonJS output, as ts-node emits for this package); no type check (`npm test` type-checks
 * first). Output is cached per file by content hash, so only files changed since the last run are
 * transpiled again. `node_modules` is the repository's, linked.
 */
export function buildExampleApp(): ExampleBuild {
  const dir = mkdtempSync(join(tmpdir(), 'qb-example-build-'));
  const config = ts.readConfigFile(join(ROOT, 'tsconfig.json'), ts.sys.readFile).config as { compilerOptions: Record<string, unknown> };
  const { options } = ts.convertCompilerOptionsFromJson(config.compilerOptions, ROOT);
  const compilerOptions: ts.CompilerOptions = {
    ...options,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: undefined,
    resolvePackageJsonExports: undefined,
    sourceMap: false,
    declaration: false,
    incremental: false,
    outDir: undefined,
  };
  const walk = (abs: string): string[] =>
    readdirSync(abs, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(join(abs, e.name)) : e.name.endsWith('.ts') && !/\.(spec|d)\.ts$/.test(e.name) ? [join(abs, e.name)] : [],
    );
  const salt = `${ts.version}\0${JSON.stringify(compilerOptions)}`;
  mkdirSync(CACHE_DIR, { recursive: true });
  for (const file of SOURCES.flatMap((s) => walk(join(ROOT, s)))) {
    const source = readFileSync(file, 'utf8');
    const cached = join(
      CACHE_DIR,
      `${createHash('sha256')
        .update(`${salt}\0${relative(ROOT, file)}\0${source}`)
        .digest('hex')}.js`,
    );
    let js: string;
    try {
      js = readFileSync(cached, 'utf8');
    } catch {
      js = ts.transpileModule(source, { compilerOptions, fileName: file }).outputText;
      const tmp = `${cached}.${process.pid}.tmp`;
      writeFileSync(tmp, js);
      renameSync(tmp, cached); // atomic: a concurrent run reads a whole file or none
    }
    const out = join(dir, relative(ROOT, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, js);
  }
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  const tsconfig = join(dir, 'tsconfig.json');
  writeFileSync(tsconfig, JSON.stringify({ compilerOptions: { baseUrl: '.', paths: config.compilerOptions.paths } }));
  return { main: join(dir, 'apps', 'example', 'src', 'main.js'), tsconfig, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
