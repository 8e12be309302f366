import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { GqlExecutionContext } from '@nestjs/graphql';
import { ErrorCode, SluiceError } from '../../../../libs/domain/src';
import { TOKEN_REGISTRY } from '../gateway.tokens';
import { hasRole, type Principal, type Role } from './principal';
import { ROLE_KEY } from './roles.decorator';
import type { TokenRegistry } from './token-registry';

export interface GraphqlContext {
  req?: { headers: Record<string, string | string[] | undefined> };
  /** Set for WebSocket operations from the connection's authentication. */
  principal?: Principal;
}

export function bearerToken(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(value ?? '');
  return match?.[1];
}

/** Why a bearer token was refused, in words a person can act on. */
export function refusal(tokens: TokenRegistry, token: string): string {
  const expiredAt = tokens.expiredAt(token);
  return expiredAt
    ? `the API token expired at ${expiredAt.toISOString()}; ask an admin for a new one`
    : 'the API token is not valid';
}

/** Authenticates every GraphQL operation and checks the role its resolver requires. */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(TOKEN_REGISTRY) private readonly tokens: TokenRegistry,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType<string>() !== 'graphql') return true;
    const gql = GqlExecutionContext.create(context);
    const ctx = gql.getContext<GraphqlContext>();
    const principal = ctx.principal ?? this.authenticate(ctx);
    ctx.principal = principal;
    const role = this.reflector.getAllAndOverride<Role | undefined>(ROLE_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    const fieldName = gql.getInfo<{ fieldName: string }>().fieldName;
    if (!role) {
      throw new SluiceError(ErrorCode.Forbidden, `${fieldName} declares no role; refusing it`, {
        operation: fieldName,
      });
    }
    if (!hasRole(principal, role)) {
      throw new SluiceError(
        ErrorCode.Forbidden,
        `${fieldName} needs the ${role} role; ${principal.name} has ${principal.roles.join(', ')}`,
        {
          operation: fieldName,
          requiredRole: role,
          principal: principal.name,
        },
      );
    }
    return true;
  }

  authenticate(ctx: GraphqlContext): Principal {
    const token = bearerToken(ctx.req?.headers.authorization);
    if (!token) {
      throw new SluiceError(ErrorCode.Unauthenticated, 'send an API token as "Authorization: Bearer <token>"');
    }
    const principal = this.tokens.resolve(token);
    if (!principal) throw new SluiceError(ErrorCode.Unauthenticated, refusal(this.tokens, token));
    return principal;
  }
}
