import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';
import type { GraphqlContext } from './auth/auth.guard';
import type { Principal } from './auth/principal';

/** The authenticated principal's name (set by AuthGuard); recorded as the actor of every event. */
export const Actor = createParamDecorator((_data: unknown, context: ExecutionContext): string => {
  const principal = GqlExecutionContext.create(context).getContext<GraphqlContext>().principal;
  if (!principal) throw new Error('Actor used on an operation that AuthGuard did not authenticate');
  return principal.name;
});

/** The authenticated principal (set by AuthGuard): its name and roles. */
export const CurrentPrincipal = createParamDecorator((_data: unknown, context: ExecutionContext): Principal => {
  const principal = GqlExecutionContext.create(context).getContext<GraphqlContext>().principal;
  if (!principal) throw new Error('CurrentPrincipal used on an operation that AuthGuard did not authenticate');
  return principal;
});
