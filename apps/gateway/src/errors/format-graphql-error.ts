import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLFormattedError } from 'graphql';
import { ErrorCode, isSluiceError } from '../../../../libs/domain/src';
import type { Logger } from '../../../../libs/platform/src/logger';
import { unavailableDependency } from './dependency-unavailable';

/** Codes Apollo assigns to malformed requests; passed through unchanged. */
const REQUEST_ERROR_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'BAD_REQUEST',
  ErrorCode.QueryTooComplex,
]);

/**
 * Every error leaves the gateway with a stable `extensions.code` and never a stack trace.
 * Domain errors keep their code and details; anything unexpected is logged and reported
 * as INTERNAL with a generic message, so internals do not leak.
 */
export function createGraphqlErrorFormatter(log: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    if (isSluiceError(original)) {
      return {
        message: original.message,
        locations: formatted.locations,
        path: formatted.path,
        extensions: { ...original.details, code: original.code },
      };
    }
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && REQUEST_ERROR_CODES.has(code)) {
      const { stacktrace: _stacktrace, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    const dependency = unavailableDependency(original);
    if (dependency) {
      log.warn({ err: (original as Error).message, path: formatted.path, dependency }, `${dependency} is unavailable`);
      return {
        message: `${dependency} is unavailable right now; try again shortly.`,
        locations: formatted.locations,
        path: formatted.path,
        extensions: { code: ErrorCode.ServiceUnavailable, dependency },
      };
    }
    log.error({ err: original, path: formatted.path }, 'unhandled error in GraphQL resolver');
    return {
      message: 'Internal error; the gateway log has the details.',
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: ErrorCode.Internal },
    };
  };
}
