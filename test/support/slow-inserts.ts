import type { Pool } from 'pg';

/**
 * Makes PostgreSQL slow to store one kind of event of one stream (a trigger that sleeps), so
 * a spec can act while that append is in flight. Returns what drops the trigger again.
 */
export async function slowInserts(
  pool: Pool,
  name: string,
  where: { type: string; streamId: string; wave?: number },
  seconds = 3,
): Promise<() => Promise<void>> {
  const fn = `slow_${name}`;
  await pool.query(`CREATE OR REPLACE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN PERFORM pg_sleep(${Number(seconds)}); RETURN NEW; END $$`);
  const wave = where.wave === undefined ? '' : ` AND NEW.data->>'wave' = '${Number(where.wave)}'`;
  await pool.query(
    `CREATE TRIGGER ${fn} BEFORE INSERT ON events FOR EACH ROW
     WHEN (NEW.type = '${where.type.replace(/'/g, "''")}' AND NEW.stream_id = '${where.streamId.replace(/'/g, "''")}'${wave})
     EXECUTE FUNCTION ${fn}()`,
  );
  return async () => {
    await pool.query(`DROP TRIGGER IF EXISTS ${fn} ON events`);
    await pool.query(`DROP FUNCTION IF EXISTS ${fn}()`);
  };
}
