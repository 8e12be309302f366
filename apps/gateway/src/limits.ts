import type { ApolloServerPlugin } from '@apollo/server';
import type { ErrorRequestHandler } from 'express';
import { GraphQLError } from 'graphql';
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

/** Refuses operations whose estimated cost is above MAX_QUERY_COMPLEXITY, before anything runs. */
export const complexityLimitPlugin: ApolloServerPlugin = {
  async requestDidStart() {
    return {
      async didResolveOperation({ request, document, schema }) {
        const complexity = getComplexity({
          schema,
          query: document,
          operationName: request.operationName,
          variables: request.variables ?? {},
          estimators: [pagedEstimator, simpleEstimator({ defaultComplexity: 1 })],
        });
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

/** Body-parser failures answer like GraphQL errors, with a stable code, instead of an HTML page. */
export const bodyErrorHandler: ErrorRequestHandler = (err: { type?: string; status?: number }, _req, res, next) => {
  if (err?.type === 'entity.too.large') {
    res.status(413).json({
      errors: [
        {
          message: `the request body is larger than ${MAX_REQUEST_BODY}`,
          extensions: { code: ErrorCode.PayloadTooLarge },
        },
      ],
    });
    return;
  }
  if (err?.type === 'entity.parse.failed') {
    res.status(400).json({
      errors: [{ message: 'the request body is not valid JSON', extensions: { code: ErrorCode.BadRequest } }],
    });
    return;
  }
  next(err);
};
