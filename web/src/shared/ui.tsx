// Pieces both apps are built from: data loading, a form's busy and error state, designed empty and error
// states, the bottom sheet, the language switch, the sign-in form, status badges.
import i18next from 'i18next';
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, api, auth, isTransientError } from './api.ts';
import { serverNow } from './clock.ts';
import { LANGUAGES, setLanguage, t, useLanguage } from './i18n.ts';
import type { OrderStatus, RefundEvent, RefundStatus, User } from './types.ts';
import { Icon, type IconName } from './icons.tsx';

export interface Resource<T> {
  data: T | null;
  error: unknown;
  loading: boolean;
  reload(): void;
  setData(data: T): void;
}

/** Loads data when `deps` change; a newer load wins over an older one still in flight. */
/** A load that got no answer or a server error is tried again after these waits before the page shows the failure
 * (with its retry button): a dropped connection or a node restarting should not need the reader to act. */
const TRANSIENT_RETRY_MS = [1000, 2000];

export function useResource<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[]): Resource<T> {
  const [state, setState] = useState<{ data: T | null; error: unknown; loading: boolean }>({ data: null, error: null, loading: true });
  const [round, setRound] = useState(0);
  useEffect(() => {
    const abort = new AbortController();
    let retry: ReturnType<typeof setTimeout> | undefined;
    const attempt = (tries: number) =>
      load(abort.signal).then(
        (data) => !abort.signal.aborted && setState({ data, error: null, loading: false }),
        (error) => {
          if (abort.signal.aborted) return;
          if (isTransientError(error) && tries < TRANSIENT_RETRY_MS.length) retry = setTimeout(() => attempt(tries + 1), TRANSIENT_RETRY_MS[tries]);
          else setState((s) => ({ ...s, error, loading: false }));
        },
      );
    setState((s) => ({ ...s, loading: true, error: null }));
    void attempt(0);
    return () => {
      abort.abort();
      clearTimeout(retry);
    };
  }, [...deps, round]);
  return {
    ...state,
    reload: useCallback(() => setRound((r) => r + 1), []),
    setData: useCallback((data: T) => setState({ data, error: null, loading: false }), []),
  };
}

/** The server's clock now, ticking every `ms`. */
export function useNow(ms = 250): number {
  const [now, setNow] = useState(serverNow);
  useEffect(() => {
    const timer = setInterval(() => setNow(serverNow()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}

/** Calls `fn` every `ms` while mounted (and `enabled`). */
export function useInterval(fn: () => void, ms: number, enabled = true) {
  const saved = useRef(fn);
  saved.current = fn;
  useEffect(() => {
    if (!enabled) return;
    const timer = setInterval(() => saved.current(), ms);
    return () => clearInterval(timer);
  }, [ms, enabled]);
}

/** An API error as a sentence in the reader's language; a form's own check already is one, and stays as it is. */
export function errorText(err: unknown): string {
  if (typeof err === 'string') return err;
  if (err instanceof ApiError) {
    const key = `errors.${err.code}`;
    if (i18next.exists(key)) return i18next.t(key as 'errors.network');
    return `${t('errors.generic')} (${err.message})`;
  }
  return t('errors.generic');
}

export interface Submission<A extends unknown[]> {
  busy: boolean;
  /** What the last run threw (or what setError put there); null while running and after a success. */
  error: unknown;
  setError(error: unknown): void;
  run(...args: A): Promise<void>;
  /** A form's onSubmit, for an action that takes nothing: no page load, then run(). */
  onSubmit: A extends [] ? (e: Event) => void : never;
}

/**
 * The busy and error state of a small form or button: `run` is busy while `action` runs, and keeps what it throws
 * in `error`. With `keepBusy` a success leaves it busy: for an action whose success replaces the component, so
 * it cannot be sent twice while the replacement loads.
 */
export function useSubmit<A extends unknown[]>(action: (...args: A) => Promise<unknown>, { keepBusy = false } = {}): Submission<A> {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  // The action may unmount the component (a sheet closes, a page changes): nothing is set on it after that.
  const mounted = useRef(true);
  useEffect(() => () => void (mounted.current = false), []);
  const run = async (...args: A) => {
    setBusy(true);
    setError(null);
    try {
      await action(...args);
      if (keepBusy) return;
    } catch (err) {
      if (mounted.current) setError(err);
    }
    if (mounted.current) setBusy(false);
  };
  const onSubmit = (e: Event) => {
    e.preventDefault();
    void run(...([] as unknown[] as A));
  };
  return { busy, error, setError, run, onSubmit: onSubmit as Submission<A>['onSubmit'] };
}

/** A row of filter chips, one selected: `''` stands for everything. */
export function FilterChips<T extends string>({ values, value, label, onChange }: { values: readonly T[]; value: T; label(value: T): string; onChange(value: T): void }) {
  return (
    <div class="filters" role="tablist">
      {values.map((f) => (
        <button key={f} role="tab" aria-selected={value === f} class={value === f ? 'chip chip-on' : 'chip'} onClick={() => onChange(f)}>
          {label(f)}
        </button>
      ))}
    </div>
  );
}

export function Spinner({ label }: { label?: string }) {
  return (
    <div class="spinner" role="status" aria-live="polite">
      <span class="spinner-dot" />
      {label ?? t('common.loading')}
    </div>
  );
}

export function Empty({ icon, title, hint, children }: { icon: IconName; title: string; hint?: string; children?: ComponentChildren }) {
  return (
    <div class="empty">
      <div class="empty-icon">
        <Icon name={icon} size={44} />
      </div>
      <p class="empty-title">{title}</p>
      {hint && <p class="empty-hint">{hint}</p>}
      {children}
    </div>
  );
}

/** A failed load, with a way to try again; "network lost" is its own state. */
export function Failure({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const offline = error instanceof ApiError && error.code === 'network';
  return (
    <Empty icon={offline ? 'wifiOff' : 'alert'} title={offline ? t('errors.offlineTitle') : t('errors.loadFailed')} hint={errorText(error)}>
      {onRetry && (
        <button class="btn" onClick={onRetry}>
          {t('common.retry')}
        </button>
      )}
    </Empty>
  );
}

/** Loading, failure or the content, for a Resource. */
export function Loaded<T>({ resource, children }: { resource: Resource<T>; children: (data: T) => ComponentChildren }) {
  if (resource.data !== null) return <>{children(resource.data)}</>;
  if (resource.error) return <Failure error={resource.error} onRetry={resource.reload} />;
  return <Spinner />;
}

/** A bottom sheet on a phone, a dialog on a wide screen. */
export function Sheet({ open, onClose, title, children, testId }: { open: boolean; onClose(): void; title: string; children: ComponentChildren; testId?: string }) {
  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [open, onClose]);
  if (!open) return null;
  return (
    <div class="sheet-backdrop" onClick={(e) => e.target === e.currentTarget && onClose()}>
      <section class="sheet" role="dialog" aria-modal="true" aria-label={title} data-testid={testId}>
        <header class="sheet-head">
          <h2>{title}</h2>
          <button class="icon-btn" aria-label={t('common.close')} onClick={onClose}>
            <Icon name="x" />
          </button>
        </header>
        <div class="sheet-body">{children}</div>
      </section>
    </div>
  );
}

export function LanguageSwitch() {
  const current = useLanguage();
  return (
    <select class="lang-switch" aria-label={t('common.language')} value={current} onChange={(e) => setLanguage(e.currentTarget.value as (typeof LANGUAGES)[number]['code'])}>
      {LANGUAGES.map((l) => (
        <option key={l.code} value={l.code}>
          {l.label}
        </option>
      ))}
    </select>
  );
}

const STATUS_TONE: Record<OrderStatus, string> = {
  pending_payment: 'warn',
  paid: 'ok',
  shipped: 'info',
  delivered: 'info',
  completed: 'muted',
  cancelled: 'muted',
  expired: 'muted',
  refunded: 'muted',
};

export function OrderStatusBadge({ status }: { status: OrderStatus }) {
  return (
    <span class={`badge badge-${STATUS_TONE[status] ?? 'muted'}`} data-status={status}>
      {t(`orderStatus.${status}`)}
    </span>
  );
}

const REFUND_TONE: Record<RefundStatus, string> = {
  requested: 'warn',
  rejected: 'bad',
  escalated: 'warn',
  awaiting_return: 'info',
  return_shipped: 'info',
  refunding: 'info',
  refund_failed: 'bad',
  refunded: 'ok',
  cancelled: 'muted',
};

/** An after-sales request's status (both apps). */
/** A refund history note as the reader reads it: the system's notes in the app's language, a person's words as written. */
export const refundNoteText = (e: Pick<RefundEvent, 'note' | 'noteCode' | 'noteParams'>): string =>
  e.noteCode ? t(`aftersales.notes.${e.noteCode}`, e.noteParams ?? {}) : e.note;

export function RefundStatusBadge({ status }: { status: RefundStatus }) {
  return (
    <span class={`badge badge-${REFUND_TONE[status] ?? 'muted'}`} data-refund-status={status}>
      {t(`aftersales.statuses.${status}`)}
    </span>
  );
}

export function CopyButton({ text, label }: { text: string; label: string }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      // no clipboard permission (plain http): select a hidden copy and use the legacy command
      const area = document.createElement('textarea');
      area.value = text;
      document.body.append(area);
      area.select();
      document.execCommand('copy');
      area.remove();
    }
    setCopied(true);
    setTimeout(() => setCopied(false), 1500);
  };
  return (
    <button class="btn btn-small" type="button" onClick={copy} aria-label={`${t('common.copy')} ${label}`}>
      {copied ? t('common.copied') : t('common.copy')}
    </button>
  );
}

/** Sign in, or create an account. */
export function AuthForm({ onDone }: { onDone?: (user: User) => void }) {
  const [mode, setMode] = useState<'signin' | 'signup'>('signin');
  const [handle, setHandle] = useState('');
  const [password, setPassword] = useState('');
  const [displayName, setDisplayName] = useState('');
  const { busy, error, onSubmit } = useSubmit(async () => {
    const body = mode === 'signup' ? { handle: handle.trim(), password, ...(displayName.trim() ? { displayName: displayName.trim() } : {}) } : { handle: handle.trim(), password };
    const result = await api<{ token: string; user: User }>('POST', mode === 'signup' ? '/auth/register' : '/auth/login', { body });
    auth.signIn(result.token, result.user);
    // the role (operator or not) comes with /me
    const me = await api<{ user: User }>('GET', '/me');
    auth.setUser(me.user);
    onDone?.(me.user);
  });

  return (
    <form class="auth-form card" onSubmit={onSubmit}>
      <div class="tabs" role="tablist">
        <button type="button" role="tab" aria-selected={mode === 'signin'} class={mode === 'signin' ? 'tab active' : 'tab'} onClick={() => setMode('signin')}>
          {t('auth.signIn')}
        </button>
        <button type="button" role="tab" aria-selected={mode === 'signup'} class={mode === 'signup' ? 'tab active' : 'tab'} onClick={() => setMode('signup')}>
          {t('auth.signUp')}
        </button>
      </div>
      <label>
        {t('auth.handle')}
        <input name="handle" autocomplete="username" required pattern="[a-z0-9_]{3,32}" value={handle} onInput={(e) => setHandle(e.currentTarget.value.toLowerCase())} />
        {mode === 'signup' && <small>{t('auth.handleHint')}</small>}
      </label>
      {mode === 'signup' && (
        <label>
          {t('auth.displayName')}
          <input name="displayName" maxLength={64} value={displayName} onInput={(e) => setDisplayName(e.currentTarget.value)} />
        </label>
      )}
      <label>
        {t('auth.password')}
        <input
          name="password"
          type="password"
          autocomplete={mode === 'signup' ? 'new-password' : 'current-password'}
          required
          minLength={mode === 'signup' ? 8 : 1}
          maxLength={128}
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
        {mode === 'signup' && <small>{t('auth.passwordHint')}</small>}
      </label>
      {error !== null && (
        <p class="form-error" role="alert">
          {errorText(error)}
        </p>
      )}
      <button class="btn btn-primary btn-block" type="submit" disabled={busy}>
        {busy ? t('common.wait') : mode === 'signup' ? t('auth.createAccount') : t('auth.signIn')}
      </button>
    </form>
  );
}

/**
 * Calls `loadMore` as `sentinel` (the end of a list) comes within 400 px of view, while there is a `cursor` and no
 * error; `deps` are what changes the list (the effect is set up again on them).
 */
export function useLoadMoreOnView(sentinel: { current: Element | null }, loadMore: () => Promise<void>, active: boolean, deps: readonly unknown[]): void {
  const latest = useRef(loadMore);
  latest.current = loadMore;
  useEffect(() => {
    const el = sentinel.current;
    if (!el || !active || typeof IntersectionObserver === 'undefined') return;
    const observer = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && void latest.current(), { rootMargin: '400px 0px' });
    observer.observe(el);
    return () => observer.disconnect();
  }, [active, ...deps]);
}
