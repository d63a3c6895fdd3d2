import type { z } from 'zod';
import { envBindings, type EnvBinding } from './env-binding';

type Env = Record<string, string | undefined>;
type Tree = Record<string, unknown>;

/** Options read from the environment, which variable each came from, and problems the schema cannot see. */
export interface EnvReading {
  options: Tree;
  /** Option path → the variable it was read from (or would have been, when unset). */
  variables: Map<string, string>;
  /** Problems of the variables themselves (a QB_STORAGE that names no variant), by path. */
  problems: Map<string, string>;
}

/**
 * Walks the options schema and reads every option bound to a variable (env-binding.ts): the
 * schema's bindings are the only list of variables. An empty variable counts as unset. Options
 * with no variable set are left out, so the schema's defaults apply.
 */
export function readEnv(schema: z.ZodType, env: Env): EnvReading {
  const reading: EnvReading = { options: {}, variables: new Map(), problems: new Map() };
  walk(schema, [], env, reading);
  return reading;
}

const set = (tree: Tree, path: string[], value: unknown): void => {
  let node = tree;
  for (const key of path.slice(0, -1)) node = (node[key] ??= {}) as Tree;
  node[path[path.length - 1]] = value;
};

const textOf = (env: Env, name: string): string | undefined => (env[name] === '' ? undefined : env[name]);

function walk(schema: z.ZodType, path: string[], env: Env, reading: EnvReading): void {
  const binding = envBindings.get(schema) as EnvBinding | undefined;
  if (binding?.kind === 'leaf') {
    reading.variables.set(path.join('.'), binding.env);
    const raw = textOf(env, binding.env);
    if (raw === undefined || (binding.unlessSet && textOf(env, binding.unlessSet) !== undefined)) return;
    const value = binding.parse(raw);
    if (value !== undefined) set(reading.options, path, value);
    return;
  }
  if (binding?.kind === 'choice') return readChoice(schema, binding, path, env, reading);
  const def = (schema as unknown as { _zod: { def: Record<string, unknown> } })._zod.def;
  switch (def.type) {
    case 'object':
      for (const [key, child] of Object.entries(def.shape as Record<string, z.ZodType>)) walk(child, [...path, key], env, reading);
      return;
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
      return walk(def.innerType as z.ZodType, path, env, reading);
    case 'pipe':
      return walk(def.in as z.ZodType, path, env, reading);
    default:
      return;
  }
}

/** A discriminated union: the variable names the variant (its `type`), then that variant's variables are read. */
function readChoice(
  schema: z.ZodType,
  binding: Extract<EnvBinding, { kind: 'choice' }>,
  path: string[],
  env: Env,
  reading: EnvReading,
): void {
  const key = path.join('.');
  reading.variables.set(key, binding.env);
  reading.variables.set(`${key}.type`, binding.env);
  const chosen = (textOf(env, binding.env) ?? binding.fallback).trim();
  if (!binding.choices.includes(chosen)) {
    reading.problems.set(key, `${binding.env} must be one of ${binding.choices.join(', ')}`);
    return;
  }
  const def = (schema as unknown as { _zod: { def: { options: z.ZodType[]; discriminator: string } } })._zod.def;
  const variant = def.options.find((option) => {
    const shape = (option as unknown as { _zod: { def: { shape: Record<string, z.ZodType> } } })._zod.def.shape;
    return (shape[def.discriminator] as unknown as { _zod: { def: { values: unknown[] } } })._zod.def.values.includes(chosen);
  });
  set(reading.options, [...path, def.discriminator], chosen);
  if (variant) walk(variant, path, env, reading);
}

/** One variable of the schema and the option it sets (every storage variant's included). */
export interface EnvVariable {
  env: string;
  path: string;
  /** What an unset variable means when the option has no default of its own (`QB_STORAGE` → typeorm). */
  fallback?: string;
}

/** Every variable bound in the schema, for docs and their checks. */
export function listEnvVariables(schema: z.ZodType, path: string[] = []): EnvVariable[] {
  const binding = envBindings.get(schema) as EnvBinding | undefined;
  const def = (schema as unknown as { _zod: { def: Record<string, unknown> } })._zod.def;
  if (binding?.kind === 'leaf') return [{ env: binding.env, path: path.join('.') }];
  if (binding?.kind === 'choice') {
    const variants = (def.options as z.ZodType[]).flatMap((variant) => listEnvVariables(variant, path));
    const unique = variants.filter((v, i) => variants.findIndex((w) => w.env === v.env) === i);
    return [{ env: binding.env, path: [...path, def.discriminator as string].join('.'), fallback: binding.fallback }, ...unique];
  }
  switch (def.type) {
    case 'object':
      return Object.entries(def.shape as Record<string, z.ZodType>).flatMap(([key, child]) => listEnvVariables(child, [...path, key]));
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
      return listEnvVariables(def.innerType as z.ZodType, path);
    case 'pipe':
      return listEnvVariables(def.in as z.ZodType, path);
    default:
      return [];
  }
}
