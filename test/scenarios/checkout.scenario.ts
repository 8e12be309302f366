// A customer journey as a team writes it: sign in, list products, add one to the cart, check out.
import { expect, test } from '@playwright/test';

test('a customer signs in and checks out', async ({ request }) => {
  const signIn = await request.post('shop/sign-in');
  expect(signIn.ok()).toBeTruthy();
  const { token } = await signIn.json();
  const headers = { authorization: `Bearer ${token}` };
  const products = await (await request.get('shop/products', { headers })).json();
  expect(products.length).toBeGreaterThan(0);
  const added = await request.post('shop/cart', { headers, data: { productId: products[0].id } });
  expect(added.ok()).toBeTruthy();
  const checkout = await request.post('shop/checkout', { headers });
  expect(checkout.status(), 'checkout').toBe(200);
});
