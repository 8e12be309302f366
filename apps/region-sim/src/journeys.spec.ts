import { startRegionSim, type RegionSim } from './region-sim';

describe('region-sim customer journeys', () => {
  let sim: RegionSim;
  beforeAll(async () => {
    sim = await startRegionSim({ regions: ['eu-1', 'eu-2'], port: 0, traffic: false });
  });
  afterAll(() => sim.close());

  /** Signs in as a customer, adds a product and checks out; the status of each step. */
  async function journey(region: string, customer: Record<string, string>): Promise<number[]> {
    const shop = `${sim.url}/regions/${region}/shop`;
    const signIn = await fetch(`${shop}/sign-in`, { method: 'POST', headers: customer });
    const { token } = (await signIn.json()) as { token: string };
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const products = await fetch(`${shop}/products`, { headers });
    const [first] = (await products.json()) as Array<{ id: string }>;
    const cart = await fetch(`${shop}/cart`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ productId: first.id }),
    });
    const checkout = await fetch(`${shop}/checkout`, { method: 'POST', headers });
    return [signIn.status, products.status, cart.status, checkout.status];
  }
  const enterprise = { 'x-customer': 'acme', 'x-customer-plan': 'enterprise' };
  const free = { 'x-customer': 'bob', 'x-customer-plan': 'free' };

  it('given a healthy region, every customer walks sign-in, list, cart and checkout', async () => {
    expect(await journey('eu-1', enterprise)).toEqual([200, 200, 200, 200]);
    expect(await journey('eu-1', free)).toEqual([200, 200, 200, 200]);
  });

  it('given a config that breaks checkout for enterprise customers, only they fail, and only in that region', async () => {
    sim.fleet.apply('eu-1', 'v2', { faults: { breakCheckoutFor: { plan: 'enterprise' } } });
    expect(await journey('eu-1', enterprise)).toEqual([200, 200, 200, 500]);
    expect(await journey('eu-1', free)).toEqual([200, 200, 200, 200]);
    expect(await journey('eu-2', enterprise)).toEqual([200, 200, 200, 200]);
  });

  it('refuses a step without a session, a session of another region, and a sign-in without a customer', async () => {
    const shop = (region: string) => `${sim.url}/regions/${region}/shop`;
    expect((await fetch(`${shop('eu-2')}/products`)).status).toBe(401);
    const { token } = (await (await fetch(`${shop('eu-1')}/sign-in`, { method: 'POST', headers: free })).json()) as {
      token: string;
    };
    expect((await fetch(`${shop('eu-2')}/products`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(
      401,
    );
    expect((await fetch(`${shop('eu-1')}/sign-in`, { method: 'POST' })).status).toBe(400);
    expect((await fetch(`${shop('nowhere')}/sign-in`, { method: 'POST', headers: free })).status).toBe(404);
    const empty = await fetch(`${shop('eu-1')}/checkout`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(empty.status).toBe(409);
  });

  it('serves the shop page', async () => {
    const page = await fetch(`${sim.url}/regions/eu-1/shop`);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('<button id="checkout" disabled>Check out</button>');
  });
});
