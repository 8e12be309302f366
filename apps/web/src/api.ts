import { createClient, type Client } from 'graphql-ws';

/** The token lives in sessionStorage: gone with the tab, never shared with other tabs or kept on disk. */
const TOKEN_KEY = 'sluice.token';

export const session = {
  token: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  signIn(token: string): void {
    sessionStorage.setItem(TOKEN_KEY, token);
    resetSocket();
  },
  signOut(): void {
    sessionStorage.removeItem(TOKEN_KEY);
    resetSocket();
  },
};

/** An error the gateway answered, with its stable code (FORBIDDEN, INVALID_STATE, …). */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/** An error as the pages show it: the gateway's code and message, or what went wrong. */
export const errorText = (err: unknown): string =>
  err instanceof ApiError ? `${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err);

interface GraphqlAnswer<T> {
  data?: T;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

/** A query or mutation over HTTP with the session's token. */
export async function gql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  let res: Response;
  try {
    res = await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${session.token() ?? ''}` },
      body: JSON.stringify({ query, variables }),
    });
  } catch {
    throw new ApiError('the gateway cannot be reached', 'UNREACHABLE');
  }
  const body = (await res.json().catch(() => ({}))) as GraphqlAnswer<T>;
  const error = body.errors?.[0];
  if (error) throw new ApiError(error.message, error.extensions?.code ?? `HTTP_${res.status}`);
  if (!body.data) throw new ApiError(`the gateway answered ${res.status} without data`, `HTTP_${res.status}`);
  return body.data;
}

/**
 * A GET of one of the gateway's REST paths (an export) with the session's token; an answer
 * other than 2xx becomes an ApiError with the code and message of its `{error}` body.
 */
export async function getWithToken(path: string): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(path, { headers: { authorization: `Bearer ${session.token() ?? ''}` } });
  } catch {
    throw new ApiError('the gateway cannot be reached', 'UNREACHABLE');
  }
  if (res.ok) return res;
  const body = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
  throw new ApiError(
    body?.error?.message ?? `the gateway answered ${res.status}`,
    body?.error?.code ?? `HTTP_${res.status}`,
  );
}

let socket: Client | null = null;

function resetSocket(): void {
  void socket?.dispose();
  socket = null;
}

function liveSocket(): Client {
  socket ??= createClient({
    url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`,
    connectionParams: () => ({ authorization: `Bearer ${session.token() ?? ''}` }),
    lazy: true,
    retryAttempts: Infinity,
    shouldRetry: () => true,
  });
  return socket;
}

/** A subscription over graphql-ws; returns the function that ends it. */
export function subscribe<T>(
  query: string,
  variables: Record<string, unknown>,
  handlers: { next: (data: T) => void; error: (err: ApiError) => void; complete?: () => void },
): () => void {
  return liveSocket().subscribe<T>(
    { query, variables },
    {
      next: (value) => {
        const error = value.errors?.[0];
        if (error) handlers.error(new ApiError(error.message, String(error.extensions?.code ?? 'ERROR')));
        else if (value.data) handlers.next(value.data as T);
      },
      error: (err) => handlers.error(new ApiError(err instanceof Error ? err.message : 'the live feed closed', 'LIVE')),
      complete: () => handlers.complete?.(),
    },
  );
}

export interface Me {
  name: string;
  roles: string[];
  effectiveRoles: string[];
}

export const fetchMe = () => gql<{ me: Me }>('{ me { name roles effectiveRoles } }').then((d) => d.me);
