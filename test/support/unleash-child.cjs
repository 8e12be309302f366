'use strict';
/**
 * A real Unleash server (npm's unleash-server, open-source edition) in a process of its own, for
 * the target specs: `node unleash-child.cjs` with its settings in the environment
 * (SLUICE_UNLEASH_DATABASE_URL, _SCHEMA, _PORT, _ADMIN_TOKEN, _ENVIRONMENTS). Prints one line
 * `{"ready":true}` once it serves; SIGTERM stops it.
 *
 * Unleash's open-source edition has no API to create environments and shows only its default
 * ones: the regions' environments are inserted as rows before the server starts, and
 * `ui.environment: 'Pro'` lifts the filter (a test-only arrangement; a team's Unleash has the
 * environments it has).
 */
process.env.SEND_TELEMETRY = 'false'; // the `telemetry: false` option is ignored by 6.x
process.env.CHECK_VERSION = 'false';
process.env.TZ = 'UTC';

const { Client } = require('pg');

const env = (name) => {
  const value = process.env[`SLUICE_UNLEASH_${name}`];
  if (!value) throw new Error(`SLUICE_UNLEASH_${name} is not set`);
  return value;
};
const databaseUrl = env('DATABASE_URL');
const schema = env('SCHEMA');
const environments = env('ENVIRONMENTS').split(',');
const quoted = `"${schema.replace(/"/g, '""')}"`;

async function sql(statements) {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    for (const [text, values] of statements) await client.query(text, values);
  } finally {
    await client.end();
  }
}

const options = (ui) => ({
  databaseUrl,
  db: { schema, ssl: false, pool: { min: 0, max: 4 } },
  server: { port: Number(env('PORT')), host: '127.0.0.1', gracefulShutdownEnable: false },
  logLevel: 'error',
  versionCheck: { enable: false },
  authentication: {
    type: 'open-source',
    enableApiToken: true,
    createAdminUser: false,
    initApiTokens: [{ secret: env('ADMIN_TOKEN'), type: 'admin', tokenName: 'sluice', project: '*', environment: '*' }],
  },
  ui: { environment: ui },
});

async function main() {
  // a schema that does not exist makes the migrations write into public: create it first
  await sql([[`CREATE SCHEMA IF NOT EXISTS ${quoted}`]]);
  const unleash = require('unleash-server');
  // the start runs the migrations that create the environments table
  const instance = await unleash.start(options('Pro'));
  await sql(
    environments.map((name, i) => [
      `INSERT INTO ${quoted}.environments (name, type, sort_order, enabled) VALUES ($1, 'production', $2, true)
       ON CONFLICT (name) DO NOTHING`,
      [name, 100 + i],
    ]),
  );
  const stop = () => instance.stop().finally(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.stdout.write(`${JSON.stringify({ ready: true, version: instance.version })}\n`);
}

main().catch((err) => {
  process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
