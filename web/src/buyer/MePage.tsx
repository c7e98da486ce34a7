// Pieces of the pages under "Me" (earnings, share links, influencer centre, marketplace, group leader):
// a page frame with its way back, figure tiles, the tier badge, and a list loaded page by page.
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError, get, useAuth } from '../shared/api.ts';
import { t } from '../shared/i18n.ts';
import { Icon } from '../shared/icons.tsx';
import { Link } from '../shared/router.tsx';
import type { Tier } from '../shared/types.ts';
import { AuthForm, errorText } from '../shared/ui.tsx';
import './affiliate.css';

/** A page under Me; asks to sign in first when `signedIn` (the default). */
export function MePage({ title, children, testId, signedIn = true }: { title: string; children: ComponentChildren; testId?: string; signedIn?: boolean }) {
  const session = useAuth();
  return (
    <main class="page me-page" data-testid={testId}>
      <header class="me-head">
        <Link class="icon-btn me-back" href="/me">
          <Icon name="back" size={22} />
          <span class="visually-hidden">{t('common.back')}</span>
        </Link>
        <h1 class="page-title">{title}</h1>
      </header>
      {signedIn && !session.token ? <AuthForm /> : children}
    </main>
  );
}

export function Stat({ label, value, testId, tone }: { label: string; value: string; testId?: string; tone?: 'ok' | 'warn' | 'bad' }) {
  return (
    <div class={tone ? `stat stat-${tone}` : 'stat'} data-testid={testId}>
      <span class="stat-value">{value}</span>
      <span class="stat-label">{label}</span>
    </div>
  );
}

export function TierBadge({ tier }: { tier: Tier }) {
  return (
    <span class={`tier tier-${tier === 'S+' ? 'splus' : tier.toLowerCase()}`} data-testid="tier" data-tier={tier}>
      {tier}
    </span>
  );
}

export interface Paged<T> {
  items: T[];
  error: unknown;
  loading: boolean;
  hasMore: boolean;
  more(): void;
  reload(): void;
}

/** A list endpoint answering `{[field]: T[], nextCursor}`, read a page at a time. */
export function usePaged<T>(path: string, field: string, deps: unknown[] = []): Paged<T> & { extra: Record<string, unknown> | null } {
  const [items, setItems] = useState<T[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [extra, setExtra] = useState<Record<string, unknown> | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [round, setRound] = useState(0);

  const load = useCallback(
    async (after: string | null, signal?: AbortSignal) => {
      setLoading(true);
      setError(null);
      try {
        const sep = path.includes('?') ? '&' : '?';
        const page = await get<Record<string, unknown> & { nextCursor?: string | null }>(`${path}${sep}limit=20${after ? `&cursor=${encodeURIComponent(after)}` : ''}`, signal);
        if (signal?.aborted) return;
        const got = (page[field] as T[]) ?? [];
        setItems((current) => (after ? [...current, ...got] : got));
        setCursor(page.nextCursor ?? null);
        if (!after) setExtra(page);
      } catch (err) {
        if (!signal?.aborted) setError(err);
      } finally {
        if (!signal?.aborted) setLoading(false);
      }
    },
    [path, field],
  );

  useEffect(() => {
    const abort = new AbortController();
    void load(null, abort.signal);
    return () => abort.abort();
  }, [path, round, ...deps]);

  return {
    items,
    extra,
    error,
    loading,
    hasMore: cursor !== null,
    more: () => cursor && void load(cursor),
    reload: () => setRound((r) => r + 1),
  };
}

/** The "load more" button under a paged list. */
export function More({ list }: { list: Paged<unknown> }) {
  if (!list.hasMore) return null;
  return (
    <button class="btn btn-block" disabled={list.loading} onClick={list.more}>
      {list.loading ? t('common.loading') : t('common.more')}
    </button>
  );
}

/** An error as a sentence; a refusal (403) says in the server's words what is missing (a tier, a profile). */
export function refusalText(err: unknown): string {
  if (err instanceof ApiError && err.status === 403 && err.message) return `${t('errors.forbidden')} ${err.message}`;
  return errorText(err);
}
