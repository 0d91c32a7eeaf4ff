// Who is signed in and in which account, kept in localStorage so a reload keeps the
// session; everything that talks to the api reads it from here.
import type { Role } from '$lib/gql/graphql';

export interface SessionUser {
  id: string;
  email: string;
  name: string;
}

/** The account the session acts in, as `accounts` described it. */
export interface SessionAccount {
  id: string;
  name: string;
  role: Role;
  timezone: string;
  locale: string;
}

interface Stored {
  token: string;
  expiresAt: string;
  user: SessionUser;
  account: SessionAccount | null;
}

const KEY = 'tds.session';

function load(): Stored | null {
  if (typeof localStorage === 'undefined') return null;
  try {
    const stored = JSON.parse(localStorage.getItem(KEY) ?? 'null') as Stored | null;
    if (stored && Date.parse(stored.expiresAt) > Date.now()) return stored;
  } catch {
    // A damaged entry is a signed-out session.
  }
  localStorage.removeItem(KEY);
  return null;
}

class Session {
  current = $state<Stored | null>(load());

  get token() {
    return this.current?.token ?? null;
  }
  get user() {
    return this.current?.user ?? null;
  }
  get account() {
    return this.current?.account ?? null;
  }
  /** Whether the role may change things (ADMIN and EDITOR); VIEWER reads. */
  get canEdit() {
    const role = this.current?.account?.role;
    return role === 'ADMIN' || role === 'EDITOR';
  }
  get isAdmin() {
    return this.current?.account?.role === 'ADMIN';
  }

  signIn(token: string, expiresAt: string, user: SessionUser) {
    this.save({ token, expiresAt, user, account: null });
  }
  choose(account: SessionAccount) {
    if (this.current) this.save({ ...this.current, account });
  }
  signOut() {
    this.current = null;
    localStorage.removeItem(KEY);
  }
  private save(stored: Stored) {
    this.current = stored;
    localStorage.setItem(KEY, JSON.stringify(stored));
  }
}

export const session = new Session();
