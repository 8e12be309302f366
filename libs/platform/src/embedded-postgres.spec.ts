import { explainServerFailure } from './embedded-postgres';

/** PostgreSQL's own words, as it prints them when it cannot start (LC_MESSAGES=C). */
const BUSY_PORT = [
  '2026-12-01 20:35:01.123 UTC [4711] LOG:  starting PostgreSQL 18.4 on x86_64-pc-linux-gnu',
  '2026-12-01 20:35:01.124 UTC [4711] LOG:  could not bind IPv4 address "127.0.0.1": Address already in use',
  '2026-12-01 20:35:01.124 UTC [4711] HINT:  Is another postmaster already running on port 54329? If not, wait a few seconds and retry.',
  '2026-12-01 20:35:01.124 UTC [4711] FATAL:  could not create any TCP/IP sockets',
].join('\n');
const LOCKED = [
  '2026-12-01 20:35:02.000 UTC [4712] FATAL:  lock file "postmaster.pid" already exists',
  '2026-12-01 20:35:02.000 UTC [4712] HINT:  Is another postmaster (PID 123) running in data directory "/d/postgres"?',
].join('\n');
const OTHER_VERSION = [
  '2026-12-01 20:35:03.000 UTC [4713] FATAL:  database files are incompatible with server',
  '2026-12-01 20:35:03.000 UTC [4713] DETAIL:  The data directory was initialized by PostgreSQL version 15, which is not compatible with this version 18.4.',
].join('\n');

describe("PostgreSQL's reason for not starting, as one line a person can act on", () => {
  it('a busy port names SLUICE_PG_PORT and passes on what PostgreSQL said', () => {
    const err = explainServerFailure(BUSY_PORT, 54329, '/d/postgres');
    expect(err.code).toBe('PORT_IN_USE');
    expect(err.message).toContain('127.0.0.1:54329, which is in use: set SLUICE_PG_PORT');
    expect(err.message).toContain('FATAL: could not create any TCP/IP sockets');
    expect(err.message).not.toContain('\n');
  });

  it('a locked data folder names the lock file and the fix', () => {
    const err = explainServerFailure(LOCKED, 54329, '/d/postgres');
    expect(err.code).toBe('POSTGRES_LOCKED');
    expect(err.message).toContain('/d/postgres/postmaster.pid');
    expect(err.message).toContain('if none runs, delete that file');
    expect(err.message).toContain('Is another postmaster (PID 123) running');
  });

  it("anything else is PostgreSQL's FATAL and DETAIL lines, never a stack trace", () => {
    const err = explainServerFailure(OTHER_VERSION, 54329, '/d/postgres');
    expect(err.code).toBe('POSTGRES_FAILED');
    expect(err.message).toBe(
      'PostgreSQL did not start from /d/postgres: FATAL: database files are incompatible with server ' +
        'DETAIL: The data directory was initialized by PostgreSQL version 15, which is not compatible with this version 18.4.',
    );
  });
});
