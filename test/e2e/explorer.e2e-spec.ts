import { startAppStack, type AppStack } from '../support/app-stack';

describe('the GraphQL explorer, when switched on', () => {
  let stack: AppStack;
  beforeAll(async () => {
    stack = await startAppStack({ regions: ['ex-1'], explorer: true });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('is served entirely by the gateway: every script and stylesheet is local, no script inline', async () => {
    const response = await fetch(`${stack.gateway.url}/explorer`);
    const html = await response.text();
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(assets).toEqual([
      '/explorer/assets/graphiql.css',
      '/explorer/assets/react.js',
      '/explorer/assets/react-dom.js',
      '/explorer/assets/graphiql.js',
      '/explorer/assets/explorer.js',
    ]);
    expect(html).not.toMatch(/https?:\/\//);
    // the policy forbids inline scripts, and the page has none
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self';");
    expect(html).not.toMatch(/<script>/);
    const bodies: Record<string, string> = {};
    for (const asset of assets) {
      const res = await fetch(`${stack.gateway.url}${asset}`, { signal: AbortSignal.timeout(5_000) });
      expect(res.status).toBe(200);
      bodies[asset] = await res.text();
      expect(bodies[asset].length).toBeGreaterThan(asset.endsWith('explorer.js') ? 100 : 1_000);
    }
    // production mode: the page does not hand out a token
    expect(bodies['/explorer/assets/explorer.js']).toContain('Bearer <your token>');
  });
});
