// A page journey: the same checkout, clicked through the shop's page in Chromium.
import { expect, test } from '@playwright/test';

test('a customer checks out through the page', async ({ page }) => {
  await page.goto('shop');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('status')).toHaveText('Signed in');
  await page.getByRole('button', { name: 'Add Kettle' }).click();
  await expect(page.getByRole('status')).toHaveText('Added Kettle');
  await page.getByRole('button', { name: 'Check out' }).click();
  await expect(page.getByRole('status')).toHaveText('Order placed');
});
