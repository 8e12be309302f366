import type { ApolloServerPlugin } from '@apollo/server';
import type { ErrorRequestHandler } from 'express';
import { GraphQLError, visit } from 'graphql';
import depthLimit from 'graphql-depth-limit';
import { getComplexity, simpleEstimator, type ComplexityEstimator } from 'graphql-query-complexity';
import { ErrorCode } from '../../../libs/domain/src';

/** Request bodies above this are refused before parsing (413, PAYLOAD_TOO_LARGE). */
export const MAX_REQUEST_BODY = '1mb';
/** Deepest selection set accepted; the deepest real query (rollouts → edges → node → events → …) needs 6. */
export const MAX_QUERY_DEPTH = 10;
/** Largest estimated cost: one per field, times `first` for pages, times 100 for a rollout's full event list. */
export const MAX_QUERY_COMPLEXITY = 5_000;
/** A rollout's `events` field returns its whole history; priced as 100 events. */
const EVENT_LIST_COST = 100;

export const depthLimitRule = depthLimit(MAX_QUERY_DEPTH);

/** Pages cost `first` times their items; a rollout's full event list costs as if it held 100 events. */
const pagedEstimator: ComplexityEstimator = ({ args, childComplexity, field }) => {
  if (typeof args.first === 'number') return 1 + childComplexity * Math.max(1, args.first);
  if (field.name === 'events') return 1 + childComplexity * EVENT_LIST_COST;
  return undefined;
};

/** True when a text anywhere in `value` holds U+0000, which PostgreSQL cannot store in text or jsonb. */
function holdsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (Array.isArray(value)) return value.some(holdsNul);
  if (value && typeof value === 'object')
    return Object.entries(value).some(([k, v]) => k.includes('\u0000') || holdsNul(v));
  return false;
}

/**
 * Refuses text with NUL characters (in variables or inline in the query) before anything
 * runs: stored later, it would fail half-way, after a workflow had started.
 */
export const nulTextPlugin: ApolloServerPlugin = {
  async requestDidStart() {
    return {
      async didResolveOperation({ request, document }) {
        let inline = false;
        visit(document, { StringValue: (node) => void (inline ||= node.value.includes('\u0000')) });
        if (inline || holdsNul(request.variables ?? {})) {
          throw new GraphQLError('text must not contain NUL characters (U+0000)', {
            extensions: { code: 'BAD_USER_INPUT' },
          });
        }
      },
    };
  },
};

/** Refuses operations whose estimated cost is above MAX_QUERY_COMPLEXITY, before anything runs. */
export const complexityLimitPlugin: ApolloServerPlugin = {
  async requestDidStart() {
    return {
      async didResolveOperation({ request, document, schema }) {
        let complexity: number;
        try {
          complexity = getComplexity({
            schema,
            query: document,
            operationName: request.operationName,
            variables: request.variables ?? {},
            estimators: [pagedEstimator, simpleEstimator({ defaultComplexity: 1 })],
          });
        } catch (err) {
          // Pricing coerces the variables first: a variable of the wrong type or an unknown
          // enum value fails here, and is the caller's mistake, not an internal error.
          throw new GraphQLError((err as Error).message, { extensions: { code: 'BAD_USER_INPUT' } });
        }
        if (complexity > MAX_QUERY_COMPLEXITY) {
          throw new GraphQLError(
            `the query costs ${complexity}, above the limit of ${MAX_QUERY_COMPLEXITY}; ask for fewer items (first) or fields`,
            { extensions: { code: ErrorCode.QueryTooComplex, complexity, limit: MAX_QUERY_COMPLEXITY } },
          );
        }
      },
    };
  },
};

/**
 * Body-parser failures answer with a stable code instead of an HTML page: like GraphQL errors
 * on /graphql, and in the REST shape `{error: {code, message}}` on the other routes (hooks).
 */
export const bodyErrorHandler: ErrorRequestHandler = (err: { type?: string; status?: number }, req, res, next) => {
  const refusal =
    err?.type === 'entity.too.large'
      ? { status: 413, code: ErrorCode.PayloadTooLarge, message: `the request body is larger than ${MAX_REQUEST_BODY}` }
      : err?.type === 'entity.parse.failed'
        ? {
            status: 400,
            code: ErrorCode.BadRequest,
            message: 'the request body is not valid JSON (an object or array)',
          }
        : null;
  if (!refusal) return next(err);
  const { status, code, message } = refusal;
  if (req.path.startsWith('/graphql')) res.status(status).json({ errors: [{ message, extensions: { code } }] });
  else res.status(status).json({ error: { code, message } });
};
