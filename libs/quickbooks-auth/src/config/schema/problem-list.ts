import type { z } from 'zod';
import type { SentenceParams } from './option-fields';

/**
 * How problems name settings: by option path (`scheduler.tickSeconds`), or by the variable the
 * value came from (`QB_SCHEDULER_TICK_SECONDS`) when it was read from the environment.
 */
export interface ProblemNaming {
  /** The variable a path was read from, if any. */
  variableOf(path: string): string | undefined;
  /** True when the options came from the environment (sentences use their `fromEnv` wording). */
  fromEnv: boolean;
}

export const byOptionPath: ProblemNaming = { variableOf: () => undefined, fromEnv: false };

/**
 * One line per schema issue, in schema order: `<name> <message>`, or a whole sentence; `{path}`
 * placeholders in either are named the same way. `prefix` is where the schema sits in the module
 * options (`apiGovernor`).
 */
export function problemList(
  issues: readonly z.core.$ZodIssue[],
  naming: ProblemNaming = byOptionPath,
  prefix: readonly PropertyKey[] = [],
): string[] {
  const name = (path: string) => naming.variableOf(path) ?? path;
  const named = (words: string) => words.replace(/\{([\w.]+)\}/g, (_, p: string) => name(p));
  const lines = issues.map((issue) => {
    const path = [...prefix, ...issue.path].map(String).join('.');
    const sentence = (issue as { params?: SentenceParams }).params;
    if (sentence?.sentence) {
      return named(naming.fromEnv && sentence.fromEnv ? sentence.fromEnv : sentence.sentence);
    }
    return `${name(path)} ${named(issue.message)}`;
  });
  return [...new Set(lines)];
}
