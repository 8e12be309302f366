import { tracingEnabled, tracingResource } from './tracing';

describe('the resource a process’s spans carry', () => {
  const saved = { ...process.env };

  afterEach(() => {
    process.env = { ...saved };
  });

  it('is named by the process unless OTEL_SERVICE_NAME says otherwise', () => {
    delete process.env.OTEL_SERVICE_NAME;
    delete process.env.OTEL_RESOURCE_ATTRIBUTES;
    expect(tracingResource('sluice-worker').attributes).toMatchObject({
      'service.name': 'sluice-worker',
      'telemetry.sdk.language': 'nodejs',
    });
    process.env.OTEL_SERVICE_NAME = 'sluice-worker-eu';
    expect(tracingResource('sluice-worker').attributes['service.name']).toBe('sluice-worker-eu');
  });

  it('carries OTEL_RESOURCE_ATTRIBUTES', () => {
    delete process.env.OTEL_SERVICE_NAME;
    process.env.OTEL_RESOURCE_ATTRIBUTES = 'deployment.environment=prod,service.namespace=sluice';
    expect(tracingResource('sluice-gateway').attributes).toMatchObject({
      'service.name': 'sluice-gateway',
      'deployment.environment': 'prod',
      'service.namespace': 'sluice',
    });
  });

  it('exports spans when an endpoint is named, unless the standard switches turn the export off', () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
    expect(tracingEnabled({})).toBe(false);
    expect(tracingEnabled(endpoint)).toBe(true);
    expect(tracingEnabled({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).toBe(true);
    expect(tracingEnabled({ ...endpoint, OTEL_SDK_DISABLED: 'true' })).toBe(false);
    expect(tracingEnabled({ ...endpoint, OTEL_SDK_DISABLED: 'false' })).toBe(true);
    expect(tracingEnabled({ ...endpoint, OTEL_TRACES_EXPORTER: 'none' })).toBe(false);
  });
});
