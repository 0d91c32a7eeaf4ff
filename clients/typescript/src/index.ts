// @tds/graphql-client: the TDS API's types and ready-made operations, generated from its
// schema.graphql, and an urql client that carries a session's credentials over HTTP and
// over the graphql-transport-ws socket of subscriptions.
import { Client, cacheExchange, fetchExchange, subscriptionExchange, type Exchange } from '@urql/core';
import { createClient as createSocket, type Client as Socket } from 'graphql-ws';

export type * from './generated/schema.js';
export * from './generated/operations.js';

/** What `createTdsClient` needs: where the API is and, once signed in, the session. */
export interface TdsClientOptions {
  /** The GraphQL endpoint, e.g. `https://tds.example.com/graphql`; the socket uses the same URL as ws/wss. */
  url: string;
  /** The `login` token, or a function read before each request and each socket connection. */
  token?: string | null | (() => string | null | undefined);
  /** The account requests act in (`X-Account-Id`); may be left out when the user has only one. */
  accountId?: string | null;
  /** A WebSocket class where there is no global one (Node 20: `ws`). */
  webSocketImpl?: unknown;
  /** Exchanges run before the fetch, e.g. `persistedExchange(...)` for persisted queries. */
  exchanges?: Exchange[];
}

/** An urql `Client` for one session and account, with a way to act in another account. */
export interface TdsClient extends Client {
  /** A new client for the same session in account `accountId` (its own socket). */
  withAccount(accountId: string | null): TdsClient;
  /** A new client for another session (`token`), e.g. after signing in. */
  withToken(token: TdsClientOptions['token']): TdsClient;
  /** Closes this client's subscription socket, if it opened one (its subscriptions end). */
  dispose(): void;
}

/** The credential headers a request of these options carries (also the `connection_init` payload). */
export function tdsHeaders(options: Pick<TdsClientOptions, 'token' | 'accountId'>): Record<string, string> {
  const token = typeof options.token === 'function' ? options.token() : options.token;
  const headers: Record<string, string> = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (options.accountId) headers['X-Account-Id'] = options.accountId;
  return headers;
}

/** The WebSocket URL of an HTTP endpoint: same address, `ws:` or `wss:`. */
export function tdsSocketUrl(url: string): string {
  const base = (globalThis as { location?: { href: string } }).location?.href;
  const ws = new URL(url, base);
  if (ws.protocol === 'http:') ws.protocol = 'ws:';
  else if (ws.protocol === 'https:') ws.protocol = 'wss:';
  return ws.href;
}

/** An urql client for the TDS API: queries and mutations over HTTP, subscriptions over graphql-transport-ws. */
export function createTdsClient(options: TdsClientOptions): TdsClient {
  // Made at the first subscription, so that a client without a WebSocket implementation
  // still serves queries and mutations; connected only while something subscribes.
  let socket: Socket | undefined;
  const connect = (): Socket =>
    (socket ??= createSocket({
      url: tdsSocketUrl(options.url),
      lazy: true,
      connectionParams: () => tdsHeaders(options),
      ...(options.webSocketImpl ? { webSocketImpl: options.webSocketImpl } : {}),
    }));
  const client = new Client({
    url: options.url,
    fetchOptions: () => ({ headers: tdsHeaders(options) }),
    exchanges: [
      cacheExchange,
      ...(options.exchanges ?? []),
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query ?? '' };
          return {
            subscribe(sink) {
              return { unsubscribe: connect().subscribe(input, sink) };
            },
          };
        },
      }),
    ],
  });
  return Object.assign(client, {
    dispose: () => void socket?.dispose(),
    withAccount: (accountId: string | null) => createTdsClient({ ...options, accountId }),
    withToken: (token: TdsClientOptions['token']) => createTdsClient({ ...options, token }),
  });
}
