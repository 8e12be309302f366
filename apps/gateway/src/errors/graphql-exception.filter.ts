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
    if (host.getType<string>() === 'graphql') return asError(exception);
    return super.catch(exception, host);
  }
}

/**
 * GraphQL treats a returned Error as the field's error, and anything else as its value. An
 * error from another realm (Node internals seen from a VM context) fails `instanceof Error`,
 * so it is wrapped, keeping the original as `cause` for the error formatter.
 */
function asError(exception: unknown): Error {
  if (exception instanceof Error) return exception;
  const message = (exception as { message?: unknown } | null)?.message;
  return new Error(typeof message === 'string' ? message : String(exception), { cause: exception });
}
