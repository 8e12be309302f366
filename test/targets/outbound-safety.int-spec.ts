import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ErrorCode } from '../../libs/domain/src';
import { HttpRegionClient } from '../../libs/targets/src';

/** A server that answers every request with `answer`, counting what it was asked. */
async function serve(answer: (path: string) => { status: number; headers?: Record<string, string>; body?: string }) {
  const seen: string[] = [];
  const server: Server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const a = answer(req.url ?? '');
    res.writeHead(a.status, a.headers ?? {});
    res.end(a.body ?? '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('outbound safety of the HTTP target', () => {
  it('follows no redirect: a 3xx is an error naming where it pointed, and the other server is never asked', async () => {
    const elsewhere = await serve(() => ({
      status: 200,
      body: JSON.stringify({ version: 'evil', config: { a: 1 }, revision: 1 }),
    }));
    const region = await serve(() => ({ status: 307, headers: { location: `${elsewhere.url}/config` } }));
    const client = new HttpRegionClient();
    try {
      for (const call of [
        () => client.read(region.url),
        () => client.push(region.url, 'v1', { a: 1 }, 0),
        () => client.clear(region.url, 0),
        () => client.health(region.url),
        () => client.probe(region.url, '/probe', 2_000),
      ]) {
        await expect(call()).rejects.toMatchObject({
          code: ErrorCode.RegionRejectedPush,
          message: expect.stringContaining(`redirected to ${elsewhere.url}/config, which Sluice does not follow`),
        });
      }
      expect(elsewhere.seen).toEqual([]);
    } finally {
      await region.close();
      await elsewhere.close();
    }
  });

  it('shows at most 200 characters of what a region said, without control characters', async () => {
    const region = await serve(() => ({ status: 500, body: `\u001b[31mboom\u0007\r\n${'x'.repeat(5_000)}` }));
    try {
      const err = await new HttpRegionClient().read(region.url).then(
        () => new Error('a 500 was taken for an answer'),
        (e: unknown) => e as Error,
      );
      expect(err).toMatchObject({ code: ErrorCode.RegionUnreachable });
      expect([...err.message].some((ch) => ch.charCodeAt(0) < 0x20)).toBe(false);
      expect(err.message).toContain(' [31mboom');
      expect(err.message.length).toBeLessThan(`GET ${region.url}/config answered 500: `.length + 201);
    } finally {
      await region.close();
    }
  });
});
