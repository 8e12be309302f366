/** A dependency the gateway cannot answer without. */
export type Dependency = 'PostgreSQL' | 'Temporal';

/**
 * Socket-level failures, PostgreSQL's "the server is going away or not there" SQLSTATEs,
 * and 53300 (too_many_connections: every slot is taken, for now).
 */
const PG_UNAVAILABLE = new Set([
  '53300',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08006',
]);
const PG_MESSAGES =
  /timeout exceeded when trying to connect|Connection terminated|Client has encountered a connection error/;
/** gRPC UNAVAILABLE and DEADLINE_EXCEEDED, as the Temporal client reports them. */
const GRPC_UNAVAILABLE = new Set([14, 4]);

interface ErrorLike {
  name?: string;
  code?: unknown;
  message?: string;
  cause?: unknown;
}

/**
 * Which dependency an error says is down, if any: those become SERVICE_UNAVAILABLE (retry
 * later) instead of INTERNAL. Walks the `cause` chain, where the Temporal client puts the
 * gRPC error.
 */
export function unavailableDependency(error: unknown): Dependency | null {
  for (let e = error as ErrorLike | undefined, depth = 0; e && depth < 5; e = e.cause as ErrorLike, depth++) {
    if (typeof e !== 'object') return null;
    const grpc = typeof e.code === 'number' && GRPC_UNAVAILABLE.has(e.code);
    if (
      grpc ||
      e.name === 'ConnectionError' ||
      (e.name === 'ServiceError' && /UNAVAILABLE|DEADLINE/.test(e.message ?? ''))
    ) {
      return 'Temporal';
    }
    if ((typeof e.code === 'string' && PG_UNAVAILABLE.has(e.code)) || PG_MESSAGES.test(e.message ?? '')) {
      return 'PostgreSQL';
    }
  }
  return null;
}
