/** Where the chaos setup publishes its own PostgreSQL and the control port that stops and starts it. */
export const CHAOS_PG_URL = 'SLUICE_CHAOS_PG_URL';
export const CHAOS_PG_CONTROL = 'SLUICE_CHAOS_PG_CONTROL';

export function chaosPostgres(): { url: string; stop(): Promise<void>; start(): Promise<void> } {
  const url = process.env[CHAOS_PG_URL];
  const control = process.env[CHAOS_PG_CONTROL];
  if (!url || !control) throw new Error('the chaos PostgreSQL is not running: run through npm run test:chaos');
  const post = async (action: string) => {
    const res = await fetch(`${control}/${action}`, { method: 'POST' });
    if (!res.ok) throw new Error(`${action} PostgreSQL failed: ${await res.text()}`);
  };
  return { url, stop: () => post('stop'), start: () => post('start') };
}
