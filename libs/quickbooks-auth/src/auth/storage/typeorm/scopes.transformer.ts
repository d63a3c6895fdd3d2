import type { ValueTransformer } from 'typeorm';

/** OAuth scopes as one space-separated text value, the way OAuth itself writes them. */
export const scopesTransformer: ValueTransformer = {
  to(value: unknown): string | null | undefined {
    if (value === null || value === undefined) return value;
    return (value as string[]).join(' ');
  },
  from(value: unknown): string[] {
    return typeof value === 'string' ? value.split(' ').filter(Boolean) : [];
  },
};
