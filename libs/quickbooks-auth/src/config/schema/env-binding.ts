import { resolve } from 'node:path';
import { z } from 'zod';

/** How one option is read from one environment variable. */
export interface EnvLeaf {
  kind: 'leaf';
  env: string;
  /** Raw text to option value; '' never reaches it (an empty variable is unset). */
  parse: (raw: string) => unknown;
  /** Not read when this other variable is set (QB_SQLITE_PATH wins over DATABASE_URL). */
  unlessSet?: string;
}

/** A discriminated union picked by one variable (`QB_STORAGE` picks the storage variant). */
export interface EnvChoice {
  kind: 'choice';
  env: string;
  /** Used when the variable is unset or empty. */
  fallback: string;
  /** The variants the environment can pick (a custom storage cannot come from text). */
  choices: readonly string[];
}

export type EnvBinding = EnvLeaf | EnvChoice;

/** Which options have a variable: read by quickBooksOptionsFromEnv, named in its problems. */
export const envBindings = z.registry<EnvBinding>();

/** Text parsers for environment variables. A parse never fails: the schema judges the result. */
export const fromText = {
  string: (raw: string): string => raw,
  /** NaN for non-numbers, refused by the schema under the variable's name. */
  number: (raw: string): number => Number(raw),
  /** Anything but `false` is on. */
  boolean: (raw: string): boolean => raw !== 'false',
  /** A path relative to the working directory, made absolute. */
  path: (raw: string): string => resolve(raw),
  /** `a, b ,` → ['a', 'b']; an empty list leaves the option unset. */
  list: (raw: string): string[] | undefined => {
    const items = raw
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean);
    return items.length ? items : undefined;
  },
};

/** Binds `schema` to the variable `env`; returns the same schema (for use inline in a shape). */
export function fromEnv<T extends z.ZodType>(
  schema: T,
  env: string,
  parse: (raw: string) => unknown = fromText.string,
  unlessSet?: string,
): T {
  envBindings.add(schema, { kind: 'leaf', env, parse, unlessSet });
  return schema;
}
