/**
 * `npm run token -- <principal> <role>[,<role>…]`: makes a new random API token. Prints the
 * token once (hand it to its owner) and the entry to add to SLUICE_TOKENS_FILE, which holds
 * only its SHA-256.
 */
import { randomBytes } from 'node:crypto';
import { hashToken, tokenEntrySchema } from '../apps/gateway/src/auth/principal';

const [principal, roles] = process.argv.slice(2);
const entry = tokenEntrySchema.safeParse({
  principal,
  roles: (roles ?? '').split(',').filter(Boolean),
  sha256: '0'.repeat(64),
});
if (!entry.success) {
  console.error('usage: npm run token -- <principal> <role>[,<role>…]   roles: viewer, deployer, approver, admin');
  console.error(entry.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n'));
  process.exit(2);
}
const token = `sluice_${randomBytes(24).toString('base64url')}`;
console.log(`token (shown once): ${token}`);
console.log('add to SLUICE_TOKENS_FILE:');
console.log(JSON.stringify({ ...entry.data, sha256: hashToken(token) }));
