import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The files of the throwaway Nest app the consumer suite installs the tarballs into, read from
 * docs/quick-start.md (each fenced block preceded by `<!-- file: path -->`): the quick start is
 * what the test runs, so it cannot drift.
 */
export function quickStartFiles(root: string): { files: Record<string, string>; text: string } {
  const text = readFileSync(join(root, 'docs', 'quick-start.md'), 'utf8');
  const files: Record<string, string> = {};
  for (const m of text.matchAll(/<!-- file: (\S+) -->\n```\w*\n([\s\S]*?)\n```/g)) files[m[1]] = `${m[2]}\n`;
  return { files, text };
}
