import { unavailableDependency } from './dependency-unavailable';

/** A pg DatabaseError as pg-pool rejects it: SQLSTATE in `code`. */
const pgError = (code: string, message: string) => Object.assign(new Error(message), { name: 'error', code });

describe('unavailableDependency', () => {
  it('reads "too many clients already" (53300) as PostgreSQL unavailable: every slot is taken for now', () => {
    expect(unavailableDependency(pgError('53300', 'sorry, too many clients already'))).toBe('PostgreSQL');
  });

  it('reads a server shutting down and a refused socket as PostgreSQL unavailable', () => {
    expect(unavailableDependency(pgError('57P01', 'terminating connection due to administrator command'))).toBe(
      'PostgreSQL',
    );
    expect(unavailableDependency(pgError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'))).toBe('PostgreSQL');
  });

  it('reads gRPC UNAVAILABLE in the cause chain as Temporal unavailable', () => {
    const grpc = Object.assign(new Error('14 UNAVAILABLE: Connection refused'), { code: 14 });
    expect(unavailableDependency(new Error('failed to start', { cause: grpc }))).toBe('Temporal');
  });

  it('leaves a query error and a unique violation to INTERNAL and the domain', () => {
    expect(unavailableDependency(pgError('42P01', 'relation "nope" does not exist'))).toBeNull();
    expect(unavailableDependency(pgError('23505', 'duplicate key value violates unique constraint'))).toBeNull();
    expect(unavailableDependency('a string')).toBeNull();
  });
});
