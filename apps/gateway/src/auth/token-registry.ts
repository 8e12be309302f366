import { readFileSync } from 'node:fs';
import { ConfigError } from '../../../../libs/platform/src/config';
import { hashToken, tokenFileSchema, type Principal, type TokenEntry } from './principal';

/**
 * Development mode only: two well-known tokens so a person can drive (and approve) a rollout
 * on their own machine. Never accepted in production mode.
 */
export const DEV_TOKENS = {
  admin: { token: 'sluice-dev-admin', principal: 'dev-admin', roles: ['admin'] },
  approver: { token: 'sluice-dev-approver', principal: 'dev-approver', roles: ['approver'] },
  // What npm start's Alertmanager presents to the webhook: halts are recorded as its own.
  alertmanager: { token: 'sluice-dev-alertmanager', principal: 'dev-alertmanager', roles: ['monitor'] },
} as const;

export class TokenRegistry {
  private readonly byHash: Map<string, { principal: Principal; expiresAt: Date | null }>;

  constructor(
    entries: readonly TokenEntry[],
    private readonly now: () => Date = () => new Date(),
  ) {
    this.byHash = new Map(
      entries.map((e) => [
        e.sha256,
        {
          principal: { name: e.principal, roles: [...e.roles] },
          expiresAt: e.expiresAt ? new Date(e.expiresAt) : null,
        },
      ]),
    );
  }

  /** The principal of a bearer token; undefined for an unknown or expired one. */
  resolve(token: string): Principal | undefined {
    const entry = this.byHash.get(hashToken(token));
    if (!entry || this.expired(entry.expiresAt)) return undefined;
    return entry.principal;
  }

  /** When a known token expired, if it has; lets a refusal say "expired" rather than "not valid". */
  expiredAt(token: string): Date | undefined {
    const entry = this.byHash.get(hashToken(token));
    return entry && this.expired(entry.expiresAt) ? entry.expiresAt! : undefined;
  }

  private expired(expiresAt: Date | null): boolean {
    return expiresAt !== null && expiresAt.getTime() <= this.now().getTime();
  }

  get size(): number {
    return this.byHash.size;
  }
}

function parseEntries(json: string, source: string): TokenEntry[] {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (err) {
    throw new ConfigError(`${source} is not valid JSON: ${(err as Error).message}`);
  }
  const result = tokenFileSchema.safeParse(value);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new ConfigError(`${source} is not a list of {principal, roles, sha256}:\n${issues}`);
  }
  return result.data;
}

/**
 * Tokens come from SLUICE_TOKENS_FILE (a JSON file) and/or SLUICE_TOKENS (the same JSON
 * inline), as hashes only; development mode adds DEV_TOKENS.
 */
export function loadTokenRegistry(env: NodeJS.ProcessEnv, development: boolean): TokenRegistry {
  const entries: TokenEntry[] = [];
  if (env.SLUICE_TOKENS_FILE) {
    let text: string;
    try {
      text = readFileSync(env.SLUICE_TOKENS_FILE, 'utf8');
    } catch (err) {
      throw new ConfigError(`SLUICE_TOKENS_FILE=${env.SLUICE_TOKENS_FILE} cannot be read: ${(err as Error).message}`);
    }
    entries.push(...parseEntries(text, 'SLUICE_TOKENS_FILE'));
  }
  if (env.SLUICE_TOKENS) entries.push(...parseEntries(env.SLUICE_TOKENS, 'SLUICE_TOKENS'));
  if (development) {
    for (const dev of Object.values(DEV_TOKENS)) {
      entries.push({ principal: dev.principal, roles: [...dev.roles], sha256: hashToken(dev.token) });
    }
  }
  if (entries.length === 0) {
    throw new ConfigError(
      'no API tokens configured: set SLUICE_TOKENS_FILE or SLUICE_TOKENS (see README, "Authentication"), or SLUICE_MODE=development',
    );
  }
  return new TokenRegistry(entries);
}
