// The HTTP client both apps use. The signed-in user's bearer token lives in localStorage; every API
// failure becomes an ApiError carrying the API's error code (status 0 and code "network" when the
// request never got an answer).
import { useEffect, useState } from 'preact/hooks';
import type { User } from './types.ts';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const TOKEN_KEY = 'hawker.token';

/** Who is signed in; components re-render through useAuth() when it changes. */
class AuthStore {
  token: string | null = readStorage(TOKEN_KEY);
  user: User | null = null;
  /** Whether the stored token has been checked against GET /me yet. */
  checked = this.token === null;
  /** Whether the last try to check it got no answer (no network, the server restarting): it is being tried again. */
  unreachable = false;
  /** Counts the changes, so that a component can tell one happened between its render and its subscription. */
  version = 0;
  private listeners = new Set<() => void>();

  signIn(token: string, user: User) {
    this.token = token;
    this.user = user;
    this.checked = true;
    writeStorage(TOKEN_KEY, token);
    this.emit();
  }

  signOut() {
    this.token = null;
    this.user = null;
    this.checked = true;
    writeStorage(TOKEN_KEY, null);
    this.emit();
  }

  setUser(user: User) {
    this.user = user;
    this.checked = true;
    this.unreachable = false;
    this.emit();
  }

  setUnreachable(unreachable: boolean) {
    this.unreachable = unreachable;
    this.emit();
  }

  subscribe(fn: () => void) {
    this.listeners.add(fn);
    return () => void this.listeners.delete(fn);
  }

  private emit() {
    this.version++;
    for (const fn of this.listeners) fn();
  }
}

export const auth = new AuthStore();

export function useAuth(): AuthStore {
  const [, setVersion] = useState(0);
  const rendered = auth.version;
  useEffect(() => {
    const unsubscribe = auth.subscribe(() => setVersion((v) => v + 1));
    // The session restored (GET /me answered) after this first render but before this subscription: render again.
    if (auth.version !== rendered) setVersion((v) => v + 1);
    return unsubscribe;
  }, []);
  return auth;
}

/** No answer, too many requests, or a server error: worth asking again, unlike a refusal (4xx) of the request itself. */
export const isTransientError = (err: unknown) => err instanceof ApiError && (err.status === 0 || err.status === 429 || err.status >= 500);

/** Retrying GET /me: first after half a second, then twice as long each time, at most every 10 s. */
const RESTORE_RETRY_MS = [500, 1000, 2000, 4000, 8000, 10_000];

/**
 * Loads the signed-in user (with role) for a stored token; a revoked token signs out. No answer at all or a
 * server error (the network drops, the node restarts) is not a verdict on the token: the app says it is
 * reconnecting and asks again until it gets one, instead of waiting forever on the first try.
 */
export async function restoreSession(): Promise<void> {
  for (let attempt = 0; auth.token && !auth.user; attempt++) {
    try {
      const { user } = await api<{ user: User }>('GET', '/me');
      auth.setUser(user);
      return;
    } catch (err) {
      // A 401 has signed out already (api()); another refusal will not change by asking again.
      if (!isTransientError(err)) {
        auth.checked = true;
        auth.setUnreachable(false);
        return;
      }
      auth.setUnreachable(true);
      await new Promise((r) => setTimeout(r, RESTORE_RETRY_MS[Math.min(attempt, RESTORE_RETRY_MS.length - 1)]));
    }
  }
}

export async function api<T>(method: string, path: string, opts: { body?: unknown; headers?: Record<string, string>; signal?: AbortSignal } = {}): Promise<T> {
  const headers: Record<string, string> = { ...opts.headers };
  if (auth.token) headers.authorization = `Bearer ${auth.token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body), signal: opts.signal });
  } catch (err) {
    if (opts.signal?.aborted) throw err;
    throw new ApiError(0, 'network', 'the network is unavailable');
  }
  let text: string;
  try {
    text = await res.text();
  } catch (err) {
    // The connection dropped while the body was on its way: as good as no answer.
    if (opts.signal?.aborted) throw err;
    throw new ApiError(0, 'network', 'the network is unavailable');
  }
  let data: any = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: a proxy's error page
  }
  if (!res.ok) {
    if (res.status === 401 && auth.token && path !== '/auth/login') auth.signOut();
    throw new ApiError(res.status, data?.error?.code ?? `http_${res.status}`, data?.error?.message ?? res.statusText);
  }
  return data as T;
}

export const get = <T>(path: string, signal?: AbortSignal) => api<T>('GET', path, { signal });
export const post = <T>(path: string, body: unknown = {}, headers?: Record<string, string>) => api<T>('POST', path, { body, headers });

/** A query string from the defined values. */
export function query(params: Record<string, string | number | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

function readStorage(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

function writeStorage(key: string, value: string | null) {
  try {
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch {
    // private mode: the session lasts as long as the page
  }
}

export const storage = { read: readStorage, write: writeStorage };
