import pino from 'pino';
import { PinoNestLogger } from './pino-nest-logger';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const log = pino({ level: 'trace' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { logger: new PinoNestLogger(log), lines };
}

describe('Nest’s log through pino', () => {
  it('writes Nest’s wiring lines at debug with their context', () => {
    const { logger, lines } = capture();
    logger.log('AppModule dependencies initialized', 'InstanceLoader');
    expect(lines).toEqual([
      expect.objectContaining({ level: 20, msg: 'AppModule dependencies initialized', context: 'InstanceLoader' }),
    ]);
  });

  it('keeps an error’s level, stack and context', () => {
    const { logger, lines } = capture();
    const stack = 'Error: boom\n    at Foo.bar (foo.js:1:1)';
    logger.error('boom', stack, 'ExceptionsHandler');
    logger.error('no stack', undefined, 'ExceptionHandler');
    logger.error(stack);
    logger.warn(new Error('careful'));
    expect(lines).toEqual([
      expect.objectContaining({ level: 50, msg: 'boom', stack, context: 'ExceptionsHandler' }),
      expect.objectContaining({ level: 50, msg: 'no stack', context: 'ExceptionHandler' }),
      expect.objectContaining({ level: 50, msg: stack }),
      expect.objectContaining({ level: 40, msg: 'careful', err: expect.objectContaining({ message: 'careful' }) }),
    ]);
  });
});
