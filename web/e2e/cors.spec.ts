// A customer's own frontend on another origin, in a real browser: the allowlisted origin
// signs in, queries and subscribes; any other origin is stopped by the browser (no CORS
// answer) and its WebSocket is refused. Both origins are pages Playwright serves itself.
import { expect, test, type Page } from '@playwright/test';
import { env } from './support';

const api = env.url;

// The api listens on loopback here; Chromium would hold any page from a non-local origin
// back from loopback addresses (Local Network Access) whatever CORS says. In production the
// api has a public address, so that rule is off for these pages and CORS alone decides.
test.use({
  launchOptions: {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-features=LocalNetworkAccessChecks,PrivateNetworkAccessSendPreflights,PrivateNetworkAccessRespectPreflightResults,BlockInsecurePrivateNetworkRequests'],
  },
});

/** Opens an empty page whose origin is `origin`. */
async function pageOn(page: Page, origin: string) {
  await page.route(`${origin}/**`, (route) => route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>app</title>' }));
  await page.goto(`${origin}/`);
}

/** From the page: sign in, then ask `me` with the token (a preflighted request). */
function signInAndAsk(page: Page) {
  return page.evaluate(
    async ({ api, email, password }) => {
      try {
        const post = (body: unknown, token?: string) =>
          fetch(`${api}/graphql`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
            body: JSON.stringify(body),
          }).then((r) => r.json());
        const login = await post({ query: 'mutation($e:String!,$p:String!){login(email:$e,password:$p){token}}', variables: { e: email, p: password } });
        const me = await post({ query: '{ me { email } }' }, login.data.login.token);
        return { ok: true, email: me.data.me.email as string, token: login.data.login.token as string };
      } catch (e) {
        return { ok: false, error: String(e) };
      }
    },
    { api, email: env.admin, password: env.password },
  );
}

/** From the page: open a graphql-transport-ws socket; resolves with how it went. */
function openSocket(page: Page, token: string) {
  return page.evaluate(
    ({ api, token }) =>
      new Promise<string>((resolve) => {
        const ws = new WebSocket(api.replace(/^http/, 'ws') + '/graphql', 'graphql-transport-ws');
        ws.onopen = () => ws.send(JSON.stringify({ type: 'connection_init', payload: { Authorization: `Bearer ${token}` } }));
        ws.onmessage = (m) => {
          resolve(JSON.parse(m.data).type);
          ws.close();
        };
        ws.onerror = () => resolve('error');
        setTimeout(() => resolve('timeout'), 10_000);
      }),
    { api, token },
  );
}

test('an allowlisted origin calls the api and subscribes from the browser', async ({ page }) => {
  await pageOn(page, 'http://customer-app.test');
  const answer = await signInAndAsk(page);
  expect(answer, JSON.stringify(answer)).toMatchObject({ ok: true, email: env.admin });
  expect(await openSocket(page, answer.token!)).toBe('connection_ack');
});

test('another origin is stopped by the browser, its socket refused', async ({ page, request }) => {
  await pageOn(page, 'http://elsewhere.test');
  const answer = await signInAndAsk(page);
  expect(answer.ok).toBe(false);
  expect(answer.error).toContain('Failed to fetch');
  // A token obtained elsewhere does not open a socket from this origin either.
  const login = await request.post(`${api}/graphql`, {
    data: { query: 'mutation($e:String!,$p:String!){login(email:$e,password:$p){token}}', variables: { e: env.admin, p: env.password } },
  });
  const token = (await login.json()).data.login.token;
  expect(await openSocket(page, token)).toBe('error');
});
