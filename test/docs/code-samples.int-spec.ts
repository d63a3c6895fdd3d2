/**
 * Every ```ts block in the documentation compiles.
 *
 * A block passes when it is an excerpt of one of docs/examples/*.ts (whitespace at line ends
 * ignored); those files are type-checked here and by `npm run typecheck` (tsconfig includes
 * docs/**\/*.ts). A block that is not an excerpt is written to a scratch file inside the repo's
 * node_modules/.cache (so imports resolve exactly as in the repo) and type-checked on its own.
 * Either way a sample that does not compile fails this suite.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as ts from 'typescript';

const ROOT = join(__dirname, '..', '..');
const EXAMPLES_DIR = join(ROOT, 'docs', 'examples');

interface Sample {
  file: string;
  line: number;
  code: string;
}

function markdownFiles(): string[] {
  const files = [join(ROOT, 'README.md'), join(ROOT, 'libs', 'quickbooks-auth', 'README.md')].filter((f) => existsSync(f));
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) {
        if (full !== join(ROOT, 'docs', 'api')) walk(full);
      } else if (name.endsWith('.md')) files.push(full);
    }
  };
  walk(join(ROOT, 'docs'));
  return files;
}

/** Fenced blocks whose info string is ts or typescript. */
export function extractTsBlocks(markdown: string, file: string): Sample[] {
  const samples: Sample[] = [];
  const lines = markdown.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*(ts|typescript)\b.*$/.exec(lines[i]);
    if (!open) continue;
    const [, indent, fence] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !lines[j].trim().startsWith(fence); j++)
      body.push(lines[j].startsWith(indent) ? lines[j].slice(indent.length) : lines[j]);
    samples.push({ file, line: i + 1, code: body.join('\n') });
    i = j;
  }
  return samples;
}

const normalize = (text: string): string =>
  text
    .split(/\r?\n/)
    .map((l) => l.replace(/\s+$/, ''))
    .join('\n')
    .trim();

function compilerOptions(): ts.CompilerOptions {
  const configPath = join(ROOT, 'tsconfig.json');
  const read = ts.readConfigFile(configPath, ts.sys.readFile);
  if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, ROOT, undefined, configPath);
  return { ...parsed.options, noEmit: true, incremental: false, tsBuildInfoFile: undefined, composite: false };
}

function typeCheck(files: string[]): string[] {
  const program = ts.createProgram(files, compilerOptions());
  const wanted = new Set(files.map((f) => ts.sys.resolvePath(f)));
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => !d.file || wanted.has(ts.sys.resolvePath(d.file.fileName)))
    .map((d) => {
      const where = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : null;
      const name = d.file ? relative(ROOT, d.file.fileName) : '(program)';
      return `${name}${where ? `:${where.line + 1}:${where.character + 1}` : ''} TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
}

describe('documentation code samples', () => {
  const examples = readdirSync(EXAMPLES_DIR)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(EXAMPLES_DIR, f));
  const exampleTexts = examples.map((f) => normalize(readFileSync(f, 'utf8')));
  const samples = markdownFiles().flatMap((f) => extractTsBlocks(readFileSync(f, 'utf8'), f));
  const scratchDir = join(ROOT, 'node_modules', '.cache', 'quickbooks-auth-doc-samples', String(process.pid));

  afterAll(() => rmSync(scratchDir, { recursive: true, force: true }));

  it('finds the samples (README, package README, docs/)', () => {
    expect(examples.length).toBeGreaterThan(0);
    expect(samples.length).toBeGreaterThan(5);
    const documents = new Set(samples.map((s) => relative(ROOT, s.file)));
    expect(documents).toContain('README.md');
    expect(documents).toContain(join('libs', 'quickbooks-auth', 'README.md'));
  });

  it('extracts fenced ts blocks and nothing else', () => {
    const md = ['text', '```ts', 'const a = 1;', '```', '```bash', 'npm test', '```', '  ```typescript', '  const b = 2;', '  ```'].join(
      '\n',
    );
    expect(extractTsBlocks(md, 'x.md').map((s) => s.code)).toEqual(['const a = 1;', 'const b = 2;']);
  });

  it('every ts sample is an excerpt of docs/examples or compiles on its own; docs/examples type-check', () => {
    const standalone: Array<{ sample: Sample; path: string }> = [];
    samples.forEach((sample, index) => {
      const code = normalize(sample.code);
      if (code && exampleTexts.some((text) => text.includes(code))) return;
      mkdirSync(scratchDir, { recursive: true });
      const path = join(scratchDir, `sample-${index}.ts`);
      // A module of its own, so blocks never clash through globals.
      writeFileSync(path, `${sample.code}\nexport {};\n`);
      standalone.push({ sample, path });
    });
    const problems = typeCheck([...examples, ...standalone.map((s) => s.path)]).map((message) => {
      const hit = standalone.find((s) => message.startsWith(relative(ROOT, s.path)));
      return hit
        ? `${relative(ROOT, hit.sample.file)}:${hit.sample.line} (sample not found in docs/examples, compiled alone): ${message}`
        : message;
    });
    expect(problems).toEqual([]);
  }, 180_000);

  it('a sample that does not compile fails the check (negative control)', () => {
    mkdirSync(scratchDir, { recursive: true });
    const path = join(scratchDir, 'broken.ts');
    writeFileSync(
      path,
      "import { TokenService } from '@quickbooks-auth/nestjs';\nexport const n: number = (null as unknown as TokenService).getAccessToken({ tenantId: 't', realmId: '1' });\n",
    );
    const problems = typeCheck([path]);
    expect(problems.join('\n')).toMatch(/TS2322/);
  }, 180_000);
});
