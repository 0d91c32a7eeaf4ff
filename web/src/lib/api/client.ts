// One urql client per (token, account): queries and mutations over HTTP, subscriptions
// over one graphql-transport-ws socket that carries the same credentials.
import { Client, fetchExchange, subscriptionExchange, type AnyVariables } from '@urql/core';
import { createClient as createSocket, type Client as Socket } from 'graphql-ws';
import { goto } from '$app/navigation';
import { session } from '$lib/session.svelte';
import { ApiError, fromCombined } from './errors';

import type { TypedDocumentString } from '$lib/gql/graphql';

/** An operation typed by codegen (`graphql(...)` of `$lib/gql`). */
type Document<R, V> = TypedDocumentString<R, V>;

let cached: { key: string; client: Client; socket: Socket } | null = null;

function headers(): Record<string, string> {
  const h: Record<string, string> = {};
  if (session.token) h.Authorization = `Bearer ${session.token}`;
  if (session.account) h['X-Account-Id'] = session.account.id;
  return h;
}

function client(): Client {
  const key = `${session.token ?? ''}|${session.account?.id ?? ''}`;
  if (cached?.key === key) return cached.client;
  cached?.socket.dispose();
  const url = new URL('/graphql', location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const socket = createSocket({
    url: url.href,
    lazy: true,
    connectionParams: headers,
    retryAttempts: Infinity,
    shouldRetry: () => true,
  });
  const c = new Client({
    url: '/graphql',
    preferGetMethod: false,
    requestPolicy: 'network-only',
    fetchOptions: () => ({ headers: headers() }),
    exchanges: [
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query || '' };
          return {
            subscribe(sink) {
              const dispose = socket.subscribe(input, sink);
              return { unsubscribe: dispose };
            },
          };
        },
      }),
    ],
  });
  cached = { key, client: c, socket };
  return c;
}

/** An expired or revoked session goes back to sign-in, wherever it is noticed. */
let leaving = false;
function expired(error: ApiError) {
  if (error.code === 'UNAUTHENTICATED' && session.token && !leaving) {
    leaving = true;
    // Navigate first: signed out on the old page, the layout would send the visitor to
    // sign-in without saying why.
    void goto(`/login?expired=1&next=${encodeURIComponent(location.pathname)}`).finally(() => {
      session.signOut();
      leaving = false;
    });
  }
}

/** Runs a query; resolves with its data or rejects with an `ApiError`. */
export async function query<R, V extends AnyVariables>(doc: Document<R, V>, variables: V): Promise<R> {
  const result = await client().query(String(doc), variables).toPromise();
  if (result.error) {
    const error = fromCombined(result.error);
    expired(error);
    throw error;
  }
  return result.data as R;
}

/** Runs a mutation; resolves with its data or rejects with an `ApiError`. */
export async function mutate<R, V extends AnyVariables>(doc: Document<R, V>, variables: V): Promise<R> {
  const result = await client().mutation(String(doc), variables).toPromise();
  if (result.error) {
    const error = fromCombined(result.error);
    expired(error);
    throw error;
  }
  return result.data as R;
}

/** Follows a subscription until the returned function is called. */
export function subscribe<R, V extends AnyVariables>(
  doc: Document<R, V>,
  variables: V,
  onData: (data: R) => void,
  onError?: (error: ApiError) => void,
): () => void {
  const { unsubscribe } = client()
    .subscription(String(doc), variables)
    .subscribe((result) => {
      if (result.error) {
        const error = fromCombined(result.error);
        expired(error);
        onError?.(error);
      } else if (result.data) {
        onData(result.data as R);
      }
    });
  return unsubscribe;
}

export { ApiError };
