import type { IncomingMessage } from 'node:http';
import { requestIdOf } from './access-log';

const request = (headers: Record<string, string | string[] | undefined>) => ({ headers }) as unknown as IncomingMessage;

describe('the request id of the access log', () => {
  it('is the caller’s x-request-id when it is a plain token', () => {
    expect(requestIdOf(request({ 'x-request-id': 'req-42.a:b_C' }))).toBe('req-42.a:b_C');
  });

  it('is a new UUID when the caller sent none, several, or one that could forge a log line', () => {
    for (const headers of [
      {},
      { 'x-request-id': ['a', 'b'] },
      { 'x-request-id': 'evil"}\n{"level":60' },
      { 'x-request-id': 'x'.repeat(129) },
      { 'x-request-id': '' },
    ]) {
      expect(requestIdOf(request(headers))).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    }
  });
});
