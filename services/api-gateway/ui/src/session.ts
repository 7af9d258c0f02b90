// Who is signed in. The API token lives only in this origin's sessionStorage (gone when the tab
// closes) and is sent only as an `Authorization: Bearer` header to this origin's /api/v1 (see
// api.ts). No cookie is ever set, so a page on another origin cannot make the browser send a
// credential along with a forged request: writes are CSRF-safe by construction.
import type { Role } from './types.ts';

const KEY = 'aami.token';

/** The signed-in caller, as the gateway's /whoami described it. */
export interface Session {
  token: string;
  name: string;
  role: Role;
  cluster: string;
}

let current: Session | null = null;

/** The token kept from an earlier sign-in in this tab, if any. */
export function storedToken(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function startSession(s: Session): void {
  current = s;
  try {
    sessionStorage.setItem(KEY, s.token);
  } catch {
    // Storage refused (private mode): the session lives in memory until the page reloads.
  }
}

export function endSession(): void {
  current = null;
  try {
    sessionStorage.removeItem(KEY);
  } catch {
    // nothing stored
  }
}

export function session(): Session | null {
  return current;
}

/** True when the signed-in token may change things. */
export function isAdmin(): boolean {
  return current?.role === 'admin';
}
