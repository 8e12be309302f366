/**
 * Imported first by the gateway's and the worker's entrypoints, before anything loads `pg`,
 * `graphql` or `http`: the instrumentations patch those modules as they are required, so a
 * module loaded earlier would stay unpatched. Spans go to the tracer provider that
 * `startTracing` registers later; until then they are no-ops.
 */
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { GraphQLInstrumentation } from '@opentelemetry/instrumentation-graphql';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import type { IncomingMessage } from 'node:http';
import { isScrapeOrProbe } from './scrape-paths';

registerInstrumentations({
  instrumentations: [
    new HttpInstrumentation({
      ignoreIncomingRequestHook: (req: IncomingMessage) => isScrapeOrProbe(req.url),
      // a call made outside any span (a background poll) would start a trace of its own
      requireParentforOutgoingSpans: true,
    }),
    new UndiciInstrumentation({ requireParentforSpans: true }),
    // only queries made for a traced piece of work (the projection runner's polling is not one)
    new PgInstrumentation({ requireParentSpan: true }),
    new GraphQLInstrumentation({ mergeItems: true, ignoreTrivialResolveSpans: true }),
  ],
});
