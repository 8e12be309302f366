import pino from 'pino';
import { PinoTemporalLogger, temporalSdkLogLevel } from './temporal-logger';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const log = pino({ level: 'trace' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { log, lines };
}

describe('the Temporal SDK’s log, written by pino', () => {
  it('writes each line at its level with the SDK’s metadata as fields', () => {
    const { log, lines } = capture();
    const logger = new PinoTemporalLogger(log, 'TRACE');
    logger.info('Workflow started', { sdkComponent: 'workflow', workflowId: 'r-1', taskQueue: 'q' });
    logger.log('ERROR', 'Activity failed', { sdkComponent: 'activity' });
    logger.trace('polling');
    expect(lines).toEqual([
      expect.objectContaining({
        level: 30,
        msg: 'Workflow started',
        sdkComponent: 'workflow',
        workflowId: 'r-1',
        taskQueue: 'q',
      }),
      expect.objectContaining({ level: 50, msg: 'Activity failed', sdkComponent: 'activity' }),
      expect.objectContaining({ level: 10, msg: 'polling' }),
    ]);
  });

  it('drops what is below TEMPORAL_SDK_LOG_LEVEL, as the SDK’s DefaultLogger does', () => {
    const { log, lines } = capture();
    const logger = new PinoTemporalLogger(log, 'WARN');
    logger.debug('Activity started');
    logger.info('Worker state changed');
    logger.warn('recording a rollback event failed');
    logger.error('Workflow failed');
    expect(lines.map((l) => l.msg)).toEqual(['recording a rollback event failed', 'Workflow failed']);
  });

  it('keeps an error’s message and stack (pino serializes them under `err`)', () => {
    const { log, lines } = capture();
    new PinoTemporalLogger(log, 'INFO').warn('Activity failed', { error: new Error('region unreachable') });
    expect(lines[0]).toMatchObject({ err: { type: 'Error', message: 'region unreachable' } });
    expect((lines[0].err as { stack: string }).stack).toContain('region unreachable');
  });

  it('reads TEMPORAL_SDK_LOG_LEVEL, WARN by default, and refuses a level the SDK does not have', () => {
    expect(temporalSdkLogLevel({})).toBe('WARN');
    expect(temporalSdkLogLevel({ TEMPORAL_SDK_LOG_LEVEL: 'debug' })).toBe('DEBUG');
    expect(() => temporalSdkLogLevel({ TEMPORAL_SDK_LOG_LEVEL: 'LOUD' })).toThrow(
      'TEMPORAL_SDK_LOG_LEVEL=LOUD is not one of TRACE, DEBUG, INFO, WARN, ERROR',
    );
  });
});
