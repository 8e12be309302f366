import { context, trace } from '@opentelemetry/api';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, traceFields } from './logger';

describe('log lines and traces', () => {
  const provider = new NodeTracerProvider();
  const file = join(mkdtempSync(join(tmpdir(), 'sluice-logger-')), 'sluice.log');
  const saved = process.env.SLUICE_LOG_FILE;

  beforeAll(() => {
    provider.register();
    process.env.SLUICE_LOG_FILE = file;
  });

  afterAll(async () => {
    process.env.SLUICE_LOG_FILE = saved;
    await provider.shutdown();
    trace.disable();
    context.disable();
  });

  it('carry the active span’s trace_id and span_id, and none outside a span', () => {
    const log = createLogger('spec');
    log.info('outside');
    const ids = trace.getTracer('spec').startActiveSpan('work', (span) => {
      log.info({ region: 'eu-west-1' }, 'inside');
      span.end();
      return span.spanContext();
    });
    const [outside, inside] = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(outside).not.toHaveProperty('trace_id');
    expect(outside).not.toHaveProperty('span_id');
    expect(inside).toMatchObject({
      component: 'spec',
      msg: 'inside',
      region: 'eu-west-1',
      trace_id: ids.traceId,
      span_id: ids.spanId,
    });
    expect(traceFields()).toEqual({});
  });
});
