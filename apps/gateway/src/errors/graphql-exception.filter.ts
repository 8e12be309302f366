import { Catch, type ExceptionFilter } from '@nestjs/common';
import type { GqlExceptionFilter } from '@nestjs/graphql';

/**
 * Hands every resolver error to Apollo untouched. Without it Nest logs expected domain
 * errors (NOT_FOUND, BAD_USER_INPUT) as server errors; the error formatter decides what
 * is logged and what the client sees.
 */
@Catch()
export class GraphqlExceptionFilter implements GqlExceptionFilter, ExceptionFilter {
  catch(exception: unknown): unknown {
    return exception;
  }
}
