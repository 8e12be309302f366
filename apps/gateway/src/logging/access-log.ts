import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pinoHttp, type HttpLogger } from 'pino-http';
import type { Logger } from '../../../../libs/platform/src/logger';
import { isScrapeOrProbe } from '../../../../libs/platform/src/scrape-paths';

export const REQUEST_ID_HEADER = 'x-request-id';

/** A caller's request id is kept when it is a plain token; anything else is replaced. */
const ACCEPTABLE_REQUEST_ID = /^[\w.:-]{1,128}$/;

export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && ACCEPTABLE_REQUEST_ID.test(given) ? given : randomUUID();
}

/**
 * One line per request when it completes (method, url, status, response time) under the
 * request's id: the caller's `x-request-id` or a new one, echoed in the answer either way.
 * Headers are never logged (they carry bearer tokens). Scrapes and probes log at debug.
 */
export function accessLog(log: Logger, options: { lines: boolean }): HttpLogger {
  return pinoHttp({
    logger: log,
    autoLogging: options.lines,
    genReqId: (req: IncomingMessage, res: ServerResponse) => {
      const id = requestIdOf(req);
      res.setHeader(REQUEST_ID_HEADER, id);
      return id;
    },
    customLogLevel: (req, res, err) => {
      if (err || res.statusCode >= 500) return 'error';
      return isScrapeOrProbe(req.url) ? 'debug' : 'info';
    },
    serializers: {
      req: (req: { id: string; method: string; url: string; remoteAddress?: string }) => ({
        id: req.id,
        method: req.method,
        url: req.url,
        remoteAddress: req.remoteAddress,
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  });
}
