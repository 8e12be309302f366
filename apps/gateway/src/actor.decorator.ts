import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';
import type { GraphqlContext } from './auth/auth.guard';

/** The authenticated principal's name (set by AuthGuard); recorded as the actor of every event. */
export const Actor = createParamDecorator((_data: unknown, context: ExecutionContext): string => {
  const principal = GqlExecutionContext.create(context).getContext<GraphqlContext>().principal;
  if (!principal) throw new Error('Actor used on an operation that AuthGuard did not authenticate');
  return principal.name;
});
