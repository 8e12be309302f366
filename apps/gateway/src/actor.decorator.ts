import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';
import type { Request } from 'express';

export const ANONYMOUS = 'anonymous';
const ACTOR_HEADER = 'x-sluice-actor';

/**
 * The principal a request acts as. Until token authentication lands, it is the
 * `X-Sluice-Actor` header (development only: anyone can claim any name), else `anonymous`.
 */
export const Actor = createParamDecorator((_data: unknown, context: ExecutionContext): string => {
  const req = GqlExecutionContext.create(context).getContext<{ req: Request }>().req;
  const claimed = req.headers[ACTOR_HEADER];
  const actor = (Array.isArray(claimed) ? claimed[0] : claimed)?.trim();
  return actor && /^[\w.@+-]{1,100}$/.test(actor) ? actor : ANONYMOUS;
});
