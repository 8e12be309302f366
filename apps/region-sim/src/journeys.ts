import { randomUUID } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import type { RegionFleet } from './region-fleet';

/**
 * A small shop per region, so customer journeys have something real to walk: sign in, list
 * products, add to cart, check out, by API or through one page. A customer is named by the
 * `x-customer` header and described by `x-customer-<attribute>` headers (`x-customer-plan:
 * enterprise`); signing in gives a token the later steps carry, so a journey keeps state.
 *
 * The region's config can break one step for some customers:
 * `{"faults": {"breakCheckoutFor": {"plan": "enterprise"}}}` fails checkout (500) for every
 * customer whose attributes match all of those given, and no one else.
 */

const PRODUCTS = [
  { id: 'p-1', name: 'Kettle', priceCents: 2_900 },
  { id: 'p-2', name: 'Teapot', priceCents: 4_500 },
  { id: 'p-3', name: 'Mug', priceCents: 900 },
];

const journeyFaultsSchema = z
  .object({ faults: z.object({ breakCheckoutFor: z.record(z.string(), z.string()).optional() }).partial() })
  .partial();

interface Session {
  region: string;
  customer: string;
  attributes: Record<string, string>;
  cart: string[];
}

/** Sessions kept at most; the oldest go first (a long soak never grows without bound). */
const MAX_SESSIONS = 10_000;

export function journeyRouter(fleet: RegionFleet): Router {
  const router = express.Router({ mergeParams: true });
  const sessions = new Map<string, Session>();

  const sessionOf = (req: Request<{ region: string }>, res: Response): Session | undefined => {
    const token = /^Bearer (.+)$/.exec(req.header('authorization') ?? '')?.[1];
    const session = token === undefined ? undefined : sessions.get(token);
    if (!session || session.region !== req.params.region) {
      res.status(401).json({ code: 'UNAUTHENTICATED', message: 'sign in first: POST shop/sign-in' });
      return undefined;
    }
    return session;
  };

  router.use((req: Request<{ region: string }>, res, next) => {
    if (!fleet.get(req.params.region)) {
      return void res.status(404).json({ code: 'NOT_FOUND', message: `unknown region "${req.params.region}"` });
    }
    next();
  });

  router.post('/sign-in', (req: Request<{ region: string }>, res: Response) => {
    const customer = req.header('x-customer');
    if (!customer) {
      return void res.status(400).json({ code: 'BAD_REQUEST', message: 'name the customer: x-customer header' });
    }
    const attributes: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (name.startsWith('x-customer-') && typeof value === 'string') attributes[name.slice(11)] = value;
    }
    const token = randomUUID();
    sessions.set(token, { region: req.params.region, customer, attributes, cart: [] });
    if (sessions.size > MAX_SESSIONS) sessions.delete(sessions.keys().next().value!);
    res.json({ token, customer });
  });

  router.get('/products', (req: Request<{ region: string }>, res: Response) => {
    if (sessionOf(req, res)) res.json(PRODUCTS);
  });

  router.post('/cart', (req: Request<{ region: string }>, res: Response) => {
    const session = sessionOf(req, res);
    if (!session) return;
    const productId = (req.body as { productId?: unknown } | undefined)?.productId;
    if (!PRODUCTS.some((p) => p.id === productId)) {
      return void res.status(400).json({ code: 'BAD_REQUEST', message: 'body must be {productId} of a product' });
    }
    session.cart.push(productId as string);
    res.json({ cart: session.cart });
  });

  router.post('/checkout', (req: Request<{ region: string }>, res: Response) => {
    const session = sessionOf(req, res);
    if (!session) return;
    if (session.cart.length === 0) {
      return void res.status(409).json({ code: 'EMPTY_CART', message: 'add a product to the cart first' });
    }
    const config = fleet.get(req.params.region)!.config ?? {};
    const broken = journeyFaultsSchema.safeParse(config).data?.faults?.breakCheckoutFor;
    if (broken && Object.entries(broken).every(([k, v]) => session.attributes[k] === v)) {
      return void res.status(500).json({ code: 'CHECKOUT_FAILED', message: 'checkout failed' });
    }
    const order = { orderId: randomUUID(), items: session.cart.length };
    session.cart = [];
    res.json(order);
  });

  /** The same journey through a page: a browser scenario signs in and checks out by clicking. */
  router.get('/', (_req, res: Response) => {
    res.type('html').send(SHOP_PAGE);
  });

  return router;
}

const SHOP_PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Shop</title></head>
<body>
<h1>Shop</h1>
<button id="sign-in">Sign in</button>
<ul id="products"></ul>
<button id="checkout" disabled>Check out</button>
<p id="status" role="status"></p>
<script>
  const status = document.getElementById('status');
  let token = null;
  const base = location.pathname.endsWith('/') ? location.pathname : location.pathname + '/';
  const call = (path, init = {}) =>
    fetch(base + path, { ...init, headers: { 'content-type': 'application/json', ...(token ? { authorization: 'Bearer ' + token } : {}) } });
  document.getElementById('sign-in').onclick = async () => {
    const res = await call('sign-in', { method: 'POST' });
    if (!res.ok) { status.textContent = 'Sign-in failed'; return; }
    token = (await res.json()).token;
    const products = await (await call('products')).json();
    const list = document.getElementById('products');
    for (const p of products) {
      const item = document.createElement('li');
      const add = document.createElement('button');
      add.textContent = 'Add ' + p.name;
      add.onclick = async () => {
        const added = await call('cart', { method: 'POST', body: JSON.stringify({ productId: p.id }) });
        if (added.ok) { document.getElementById('checkout').disabled = false; status.textContent = 'Added ' + p.name; }
      };
      item.append(add);
      list.append(item);
    }
    status.textContent = 'Signed in';
  };
  document.getElementById('checkout').onclick = async () => {
    const res = await call('checkout', { method: 'POST' });
    status.textContent = res.ok ? 'Order placed' : 'Checkout failed';
  };
</script>
</body>
</html>
`;
