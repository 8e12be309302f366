import { startAppStack, type AppStack } from '../support/app-stack';

describe('the GraphQL explorer, when switched on', () => {
  let stack: AppStack;
  beforeAll(async () => {
    stack = await startAppStack({ regions: ['ex-1'], explorer: true });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('is served entirely by the gateway: every script and stylesheet is local', async () => {
    const html = await (await fetch(`${stack.gateway.url}/explorer`)).text();
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(assets).toEqual([
      '/explorer/assets/graphiql.css',
      '/explorer/assets/react.js',
      '/explorer/assets/react-dom.js',
      '/explorer/assets/graphiql.js',
    ]);
    expect(html).not.toMatch(/https?:\/\//);
    for (const asset of assets) {
      const res = await fetch(`${stack.gateway.url}${asset}`, { signal: AbortSignal.timeout(5_000) });
      expect(res.status).toBe(200);
      expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(1_000);
    }
    // production mode: the page does not hand out a token
    expect(html).toContain('Bearer <your token>');
  });
});
