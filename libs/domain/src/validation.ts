import type { z } from 'zod';
import { type FieldError, SluiceError } from './errors';

/** Parses `input` with `schema`, or throws BAD_USER_INPUT naming every failing field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const fields: FieldError[] = [];
  for (const issue of result.error.issues) {
    const field = issue.path.map(String).join('.') || '(root)';
    // The first complaint about a field is the one to fix; later ones often follow from it.
    if (!fields.some((f) => f.field === field)) fields.push({ field, message: issue.message });
  }
  const summary = fields.map((f) => `${f.field}: ${f.message}`).join('; ');
  throw SluiceError.badInput(`Invalid ${what}: ${summary}`, fields);
}
