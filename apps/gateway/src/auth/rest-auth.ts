import type { Request, Response } from 'express';
import { ErrorCode } from '../../../../libs/domain/src';
import { bearerToken, refusal } from './auth.guard';
import { hasRole, type Principal, type Role } from './principal';
import type { TokenRegistry } from './token-registry';

/** A REST error in the gateway's shape: `{error: {code, message, ...}}`. */
export function sendError(
  res: Response,
  status: number,
  code: string,
  message: string,
  extra: Record<string, unknown> = {},
): void {
  res.status(status).json({ error: { code, message, ...extra } });
}

/**
 * The bearer token's principal if it holds `role`; otherwise answers 401 (no, unknown or
 * expired token) or 403 and returns undefined. `action` completes "<name> may not …".
 */
export function authorizeRest(
  tokens: TokenRegistry,
  req: Request,
  res: Response,
  role: Role,
  action: string,
  hint = '',
): Principal | undefined {
  const token = bearerToken(req.headers.authorization);
  const principal = token ? tokens.resolve(token) : undefined;
  if (!principal) {
    const message = token ? refusal(tokens, token) : `send "Authorization: Bearer <token>"${hint}`;
    sendError(res, 401, ErrorCode.Unauthenticated, message);
    return undefined;
  }
  if (!hasRole(principal, role)) {
    sendError(res, 403, ErrorCode.Forbidden, `${principal.name} may not ${action}; this needs the ${role} role`);
    return undefined;
  }
  return principal;
}
