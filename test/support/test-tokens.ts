import { hashToken, type Role } from '../../apps/gateway/src/auth/principal';
import { TokenRegistry } from '../../apps/gateway/src/auth/token-registry';

/** The principals the specs act as, and their roles. */
export const TEST_PRINCIPALS: Record<string, Role[]> = {
  admin: ['admin'],
  oncall: ['admin'],
  alice: ['deployer'],
  carol: ['deployer'],
  dana: ['deployer'],
  bob: ['approver'],
  viewer: ['viewer'],
  alertmanager: ['monitor'],
};

export const tokenOf = (principal: string) => `test-token-${principal}-0123456789abcdef`;

export function testTokenRegistry(): TokenRegistry {
  return new TokenRegistry(
    Object.entries(TEST_PRINCIPALS).map(([principal, roles]) => ({
      principal,
      roles,
      sha256: hashToken(tokenOf(principal)),
    })),
  );
}
