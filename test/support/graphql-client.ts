import { tokenOf } from './test-tokens';

export interface GraphqlResponse<T> {
  status: number;
  data?: T;
  errors?: Array<{ message: string; path?: string[]; extensions?: Record<string, unknown> }>;
}

/**
 * A plain GraphQL-over-HTTP call, the way any client would make it, as one of the test
 * principals (`null`: no Authorization header at all).
 */
export async function graphql<T = Record<string, unknown>>(
  baseUrl: string,
  query: string,
  variables: Record<string, unknown> = {},
  as: string | null = 'admin',
): Promise<GraphqlResponse<T>> {
  const auth: Record<string, string> = as === null ? {} : { authorization: `Bearer ${tokenOf(as)}` };
  const response = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as Omit<GraphqlResponse<T>, 'status'>;
  return { status: response.status, ...body };
}

/** The polling helpers live in ./eventually; many specs import them from here. */
export { eventually, readUntil } from './eventually';
