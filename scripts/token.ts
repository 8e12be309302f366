/**
 * `npm run token -- <principal> <role>[,<role>…]`: makes a new random API token. Prints the
 * token once (hand it to its owner) and the entry to add to SLUICE_TOKENS_FILE, which holds
 * only its SHA-256.
 */
import { randomBytes } from 'node:crypto';
import { hashToken, tokenEntrySchema } from '../apps/gateway/src/auth/principal';

const [principal, roles, days] = process.argv.slice(2);
const validDays = days === undefined || /^[1-9]\d{0,4}$/.test(days);
const entry = tokenEntrySchema.safeParse({
  principal,
  roles: (roles ?? '').split(',').filter(Boolean),
  sha256: '0'.repeat(64),
  ...(days && validDays ? { expiresAt: new Date(Date.now() + Number(days) * 86_400_000).toISOString() } : {}),
});
if (!entry.success || !validDays) {
  console.error(
    'usage: npm run token -- <principal> <role>[,<role>…] [<days until it expires>]   roles: viewer, deployer, approver, admin',
  );
  if (!validDays) console.error(`  days: must be a whole number from 1 to 99999, not "${days}"`);
  if (!entry.success) console.error(entry.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n'));
  process.exit(2);
}
const token = `sluice_${randomBytes(24).toString('base64url')}`;
console.log(`token (shown once): ${token}`);
console.log('add to SLUICE_TOKENS_FILE:');
console.log(JSON.stringify({ ...entry.data, sha256: hashToken(token) }));
