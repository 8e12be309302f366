import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../../../libs/platform/src/config';
import { hasRole, hashToken, type Role } from './principal';
import { refusal } from './auth.guard';
import { DEV_TOKENS, TokenRegistry, loadTokenRegistry } from './token-registry';

const entry = (principal: string, roles: Role[], token: string) => ({ principal, roles, sha256: hashToken(token) });

describe('API tokens', () => {
  it('resolves a configured token to its principal and never keeps the token itself', () => {
    const registry = loadTokenRegistry(
      { SLUICE_TOKENS: JSON.stringify([entry('alice', ['deployer'], 's3cret-alice')]) },
      false,
    );
    expect(registry.resolve('s3cret-alice')).toEqual({ name: 'alice', roles: ['deployer'] });
    expect(registry.resolve('s3cret-alic')).toBeUndefined();
    expect(JSON.stringify(registry)).not.toContain('s3cret-alice');
  });

  it('refuses a token after its expiresAt and says it expired, not that it is unknown', () => {
    let now = new Date('2026-11-26T12:00:00Z');
    const registry = new TokenRegistry(
      [{ ...entry('temp', ['viewer'], 'temp-token'), expiresAt: '2026-11-26T13:00:00Z' }],
      () => now,
    );
    expect(registry.resolve('temp-token')).toEqual({ name: 'temp', roles: ['viewer'] });
    expect(registry.expiredAt('temp-token')).toBeUndefined();
    now = new Date('2026-11-26T13:00:00Z');
    expect(registry.resolve('temp-token')).toBeUndefined();
    expect(registry.expiredAt('temp-token')).toEqual(new Date('2026-11-26T13:00:00Z'));
    expect(refusal(registry, 'temp-token')).toBe(
      'the API token expired at 2026-11-26T13:00:00.000Z; ask an admin for a new one',
    );
    expect(refusal(registry, 'other')).toBe('the API token is not valid');
    expect(() =>
      loadTokenRegistry(
        { SLUICE_TOKENS: JSON.stringify([{ ...entry('x', ['viewer'], 't'), expiresAt: 'soon' }]) },
        false,
      ),
    ).toThrow(/expiresAt/);
  });

  it('reads a tokens file and inline tokens together', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sluice-tokens-')), 'tokens.json');
    writeFileSync(file, JSON.stringify([entry('bob', ['approver'], 'bob-token')]));
    const registry = loadTokenRegistry(
      { SLUICE_TOKENS_FILE: file, SLUICE_TOKENS: JSON.stringify([entry('carol', ['viewer'], 'carol-token')]) },
      false,
    );
    expect(registry.resolve('bob-token')?.name).toBe('bob');
    expect(registry.resolve('carol-token')?.name).toBe('carol');
  });

  it('accepts the well-known dev tokens in development mode only', () => {
    expect(loadTokenRegistry({}, true).resolve(DEV_TOKENS.admin.token)?.name).toBe('dev-admin');
    const production = loadTokenRegistry({ SLUICE_TOKENS: JSON.stringify([entry('a', ['viewer'], 't')]) }, false);
    expect(production.resolve(DEV_TOKENS.admin.token)).toBeUndefined();
  });

  it('refuses to start in production without tokens, or with a malformed entry, naming the variable', () => {
    expect(() => loadTokenRegistry({}, false)).toThrow(ConfigError);
    expect(() => loadTokenRegistry({}, false)).toThrow(/SLUICE_TOKENS_FILE or SLUICE_TOKENS/);
    expect(() =>
      loadTokenRegistry({ SLUICE_TOKENS: '[{"principal":"x","roles":["root"],"sha256":"zz"}]' }, false),
    ).toThrow(/SLUICE_TOKENS is not a list of \{principal, roles, sha256\}/);
    expect(() => loadTokenRegistry({ SLUICE_TOKENS_FILE: '/nonexistent/tokens.json' }, false)).toThrow(
      /SLUICE_TOKENS_FILE/,
    );
  });

  it('gives admin every role and the others their own plus viewer', () => {
    expect(
      ['viewer', 'deployer', 'approver', 'admin'].every((r) => hasRole({ name: 'x', roles: ['admin'] }, r as never)),
    ).toBe(true);
    expect(hasRole({ name: 'x', roles: ['deployer'] }, 'viewer')).toBe(true);
    expect(hasRole({ name: 'x', roles: ['deployer'] }, 'approver')).toBe(false);
    expect(hasRole({ name: 'x', roles: ['approver'] }, 'deployer')).toBe(false);
    expect(hasRole({ name: 'x', roles: ['viewer'] }, 'deployer')).toBe(false);
  });
});
