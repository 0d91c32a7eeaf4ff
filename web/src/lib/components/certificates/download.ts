// Saving files in the browser: text held in memory (the PEMs of an issued certificate)
// and the one-time bundle, which needs the session's headers and so cannot be a link.
import { ApiError } from '$lib/api/errors';
import { session } from '$lib/session.svelte';

/** Offers `blob` to the user as a download named `name`. */
export function save(blob: Blob, name: string) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.style.display = 'none';
  document.body.append(a);
  a.click();
  a.remove();
  // Revoked later: the browser may still be reading the blob when click() returns.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** Offers PEM text as a file. */
export function saveText(text: string, name: string) {
  save(new Blob([text], { type: 'application/x-pem-file' }), name);
}

/** Fetches `path` with the session's credentials and offers it; the api's errors throw. */
export async function downloadWithSession(path: string, fallbackName: string) {
  const headers: Record<string, string> = {};
  if (session.token) headers.Authorization = `Bearer ${session.token}`;
  if (session.account) headers['X-Account-Id'] = session.account.id;
  let response: Response;
  try {
    response = await fetch(path, { headers });
  } catch (e) {
    throw new ApiError('NETWORK', String(e));
  }
  if (!response.ok) {
    // The download endpoints answer errors in GraphQL's shape.
    const body = await response.json().catch(() => null);
    const first = body?.errors?.[0];
    const code = first?.extensions?.code ?? (response.status === 404 ? 'NOT_FOUND' : response.status === 503 ? 'UNAVAILABLE' : 'INTERNAL');
    throw new ApiError(code, first?.message ?? response.statusText);
  }
  const disposition = response.headers.get('Content-Disposition') ?? '';
  const name = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition)?.[1] ?? fallbackName;
  save(await response.blob(), decodeURIComponent(name));
}
