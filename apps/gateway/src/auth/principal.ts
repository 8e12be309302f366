import { createHash } from 'node:crypto';
import { z } from 'zod';

export const ROLES = ['viewer', 'monitor', 'deployer', 'approver', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  name: string;
  roles: Role[];
}

/**
 * What each role may do beyond its own name: admin may do everything, deployers and approvers
 * also read, and deployers may also halt through the hooks. `monitor` may only halt through
 * the hooks (`/hooks/alertmanager`, `/hooks/halt`): a leaked monitoring credential can stop
 * a rollout, never start, steer or read one.
 */
const IMPLIED: Record<Role, Role[]> = {
  viewer: ['viewer'],
  monitor: ['monitor'],
  deployer: ['deployer', 'monitor', 'viewer'],
  approver: ['approver', 'viewer'],
  admin: ['admin', 'deployer', 'approver', 'monitor', 'viewer'],
};

export function hasRole(principal: Principal, role: Role): boolean {
  return principal.roles.some((held) => IMPLIED[held].includes(role));
}

/**
 * Tokens are random secrets, so a single SHA-256 is enough to store them safely (no
 * dictionary to guess from); only the hash is ever configured or kept in memory.
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export const tokenEntrySchema = z.object({
  principal: z.string().regex(/^[\w.@+-]{1,100}$/, 'letters, digits and . _ @ + - only'),
  roles: z.array(z.enum(ROLES)).min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be the hex SHA-256 of the token'),
  /** After this instant the token is refused (UNAUTHENTICATED, saying it expired). */
  expiresAt: z.iso.datetime({ offset: true }).optional(),
});
export type TokenEntry = z.infer<typeof tokenEntrySchema>;
export const tokenFileSchema = z.array(tokenEntrySchema);
