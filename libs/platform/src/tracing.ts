import { SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { detectResourcesSync, envDetectorSync, Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, NoopSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

export interface Tracing {
  /** See {@link tracingEnabled}. */
  enabled: boolean;
  tracer: Tracer;
  processor: SpanProcessor;
  resource: Resource;
  shutdown(): Promise<void>;
}

/**
 * Who made the spans: `defaultServiceName` unless OTEL_SERVICE_NAME names another, plus the
 * attributes of OTEL_RESOURCE_ATTRIBUTES (the SDK's environment detector reads both) and the
 * SDK's own. Workflow spans, exported through a sink, carry the same resource.
 */
export function tracingResource(defaultServiceName: string): Resource {
  return Resource.default()
    .merge(new Resource({ 'service.name': defaultServiceName }))
    .merge(detectResourcesSync({ detectors: [envDetectorSync] }));
}

/**
 * Whether spans are exported: OTEL_EXPORTER_OTLP_ENDPOINT (or ..._TRACES_ENDPOINT) names a
 * collector, and neither OTEL_SDK_DISABLED=true nor OTEL_TRACES_EXPORTER=none turns the
 * export off, as the OpenTelemetry specification defines them.
 */
export function tracingEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  if (env.OTEL_TRACES_EXPORTER?.trim().toLowerCase() === 'none') return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/**
 * OpenTelemetry for one process: spans go to the OTLP/HTTP endpoint of the standard
 * OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT variables, batched
 * (OTEL_BSP_* tune the batching). Without an endpoint, spans are made and dropped.
 */
export function startTracing(defaultServiceName: string, env: NodeJS.ProcessEnv = process.env): Tracing {
  const enabled = tracingEnabled(env);
  const resource = tracingResource(defaultServiceName);
  const processor: SpanProcessor = enabled ? new BatchSpanProcessor(new OTLPTraceExporter()) : new NoopSpanProcessor();
  const provider = new NodeTracerProvider({ resource, spanProcessors: [processor] });
  provider.register();
  return {
    enabled,
    tracer: trace.getTracer('sluice'),
    processor,
    resource,
    shutdown: () => provider.shutdown(),
  };
}

/** The workflow interceptors that carry the trace through workflows (bundled with the workflow code). */
export const WORKFLOW_TRACING_MODULE =
  require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors');

/** Runs `work` in a span of its own, the active one, so Temporal calls made inside join its trace. */
export function withSpan<T>(name: string, work: () => Promise<T>): Promise<T> {
  return trace.getTracer('sluice').startActiveSpan(name, async (span) => {
    try {
      return await work();
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      throw err;
    } finally {
      span.end();
    }
  });
}
