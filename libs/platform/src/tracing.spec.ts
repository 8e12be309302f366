import { tracingResource } from './tracing';

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
});
