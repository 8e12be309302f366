import { type ArgumentsHost, Catch } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { GqlExceptionFilter } from '@nestjs/graphql';

/**
 * GraphQL: hands every resolver error to Apollo untouched. Without it Nest logs expected
 * domain errors (NOT_FOUND, BAD_USER_INPUT) as server errors; the error formatter decides
 * what is logged and what the client sees. HTTP routes keep Nest's own handling.
 */
@Catch()
export class GraphqlExceptionFilter extends BaseExceptionFilter implements GqlExceptionFilter {
  override catch(exception: unknown, host: ArgumentsHost): unknown {
    if (host.getType<string>() === 'graphql') return exception;
    return super.catch(exception, host);
  }
}
