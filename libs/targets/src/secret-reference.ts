import { readFileSync } from 'node:fs';
import { ErrorCode, SluiceError } from '../../domain/src';

/** A secret an endpoint names by reference, resolved on the worker: its value, and where it came from (for messages). */
export interface ResolvedSecret {
  value: string;
  /** `env NAME` or `file /path`: what a message may show instead of the secret. */
  from: string;
}

/**
 * Reads the secret an endpoint's query names as `<envKey>=NAME` (a variable of this process)
 * or `<fileKey>=/path` (its file, trimmed); undefined when it names none. A variable that is
 * not set or a file that cannot be read is REGION_REJECTED_PUSH, naming the reference only.
 */
export function resolveSecret(
  query: URLSearchParams,
  keys: { env: string; file: string },
  what: string,
): ResolvedSecret | undefined {
  const name = query.get(keys.env);
  if (name) {
    const value = process.env[name];
    if (value === undefined)
      throw new SluiceError(ErrorCode.RegionRejectedPush, `the ${what}'s variable ${name} is not set`);
    return { value, from: `env ${name}` };
  }
  const path = query.get(keys.file);
  if (path) {
    try {
      return { value: readFileSync(path, 'utf8').trim(), from: `file ${path}` };
    } catch {
      throw new SluiceError(ErrorCode.RegionRejectedPush, `the ${what}'s file ${path} cannot be read`);
    }
  }
  return undefined;
}
