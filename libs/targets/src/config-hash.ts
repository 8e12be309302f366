import { createHash } from 'node:crypto';
import { canonicalJson } from '../../domain/src';

/** SHA-256 of the canonical JSON form: equal content, equal hash, whatever the key order. */
export function configHash(config: unknown): string {
  return createHash('sha256').update(canonicalJson(config)).digest('hex');
}
