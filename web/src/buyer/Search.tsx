// 搜一搜: one box for products, live rooms, short videos and shops (GET /search). Suggestions follow the typing
// (prefix and pinyin prefix), tabs narrow the kind, products have a price range, an in-stock switch and a sort.
// Every hit says what it is, and 广告 when it is paid for; opening one reports the click (POST /search/clicks),
// which is what lets the operator see which searches lead somewhere. The query, tab, sort and filters live in the
// URL, so back and refresh keep them; back from a hit shows the results as they were left, without searching again.
// A search that finds nothing offers the server's relaxed forms and the popular searches to tap instead.
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { auth, get, post, query, storage } from '../shared/api.ts';
import { deviceId } from '../shared/device.ts';
import { formatMoney, formatNumber, formatTime, moneyInput, parseMoney } from '../shared/format.ts';
import { t } from '../shared/i18n.ts';
import { Icon } from '../shared/icons.tsx';
import { goBack, navigate } from '../shared/router.tsx';
import type { LiveSession, Product, Video } from '../shared/types.ts';
import { Empty, errorText, Failure, Loaded, Sheet, Spinner, useLoadMoreOnView, useResource } from '../shared/ui.tsx';
import { withSource } from './analytics-events.ts';
import { FollowButton } from './Follow.tsx';
import './feed.css';
import './search.css';

const TYPES = ['all', 'products', 'live', 'videos', 'shops'] as const;
type SearchType = (typeof TYPES)[number];
const SORTS = ['relevance', 'sales', 'price_asc', 'price_desc', 'newest'] as const;
type SearchSort = (typeof SORTS)[number];

/** What the page shows: all of it is in the URL (/search?q=龙井&type=products&sort=sales&priceMin=1000&inStock=true). */
interface Params {
  q: string;
  type: SearchType;
  sort: SearchSort;
  /** Minor units (fen), as the API takes them. */
  priceMin: number | null;
  priceMax: number | null;
  inStock: boolean;
}

interface Sponsored {
  sponsored: boolean;
}
type Hit =
  | ({ type: 'product'; id: string; title: string; shop: { id: string; name: string }; price: number; currency: string; imageUrl: string | null; inStock: boolean; sold: number } & Sponsored)
  | ({ type: 'live' } & LiveSession & Sponsored)
  | ({ type: 'video' } & Video & Sponsored)
  | ({ type: 'shop'; id: string; name: string; description: string | null; products: number } & Sponsored);

interface SearchPage {
  searchId: string;
  query: string;
  relaxed: boolean;
  hits: Hit[];
  nextCursor: string | null;
  suggestions: string[];
}

interface Suggestion {
  text: string;
  kind: 'query' | 'product' | 'shop' | 'live' | 'video';
}

/** A hit with the search it came from: the click report names that search and the hit's place in the list. */
interface Shown {
  hit: Hit;
  searchId: string;
}

const PAGE_SIZE = 20;
const SUGGEST_DELAY_MS = 150;
const MAX_QUERY = 100;
const MAX_SUGGEST_QUERY = 50;

const pageSearch = () => new URLSearchParams(location.search);

function readParams(): Params {
  const p = pageSearch();
  const type = p.get('type') as SearchType | null;
  const sort = p.get('sort') as SearchSort | null;
  const price = (name: string) => {
    const v = p.get(name);
    return v !== null && /^\d{1,12}$/.test(v) ? Number(v) : null;
  };
  return {
    q: (p.get('q') ?? '').trim().slice(0, MAX_QUERY),
    type: type && TYPES.includes(type) ? type : 'all',
    sort: sort && SORTS.includes(sort) ? sort : 'relevance',
    priceMin: price('priceMin'),
    priceMax: price('priceMax'),
    inStock: p.get('inStock') === 'true',
  };
}

/** The product filters apply to the 商品 tab only; elsewhere they stay in the URL for when the buyer comes back to it. */
function apiQuery(params: Params, cursor: string | null): string {
  const products = params.type === 'products';
  return query({
    q: params.q,
    type: params.type,
    limit: PAGE_SIZE,
    cursor,
    sort: products && params.sort !== 'relevance' ? params.sort : undefined,
    priceMin: products ? params.priceMin : undefined,
    priceMax: products ? params.priceMax : undefined,
    inStock: products && params.inStock ? 'true' : undefined,
    // Signed out: the installation id, as the feed has it, so a sponsored hit can be counted (and shown) once.
    deviceId: auth.token ? undefined : deviceId(),
  });
}

const pageUrl = (params: Params) =>
  `/search${query({
    q: params.q,
    type: params.type === 'all' ? undefined : params.type,
    sort: params.sort === 'relevance' ? undefined : params.sort,
    priceMin: params.priceMin,
    priceMax: params.priceMax,
    inStock: params.inStock ? 'true' : undefined,
  })}`;

const hitKey = (hit: Hit) => `${hit.type}:${hit.id}`;

function hitHref(hit: Hit): string {
  switch (hit.type) {
    case 'product':
      return withSource(`/p/${encodeURIComponent(hit.id)}`, 'search');
    case 'live':
      return withSource(`/room/${encodeURIComponent(hit.id)}`, 'search');
    case 'video':
      return `/v/${encodeURIComponent(hit.id)}?from=search`;
    case 'shop':
      return `/shop/${encodeURIComponent(hit.id)}`;
  }
}

/** Recent searches, on this device only. */
const RECENT_KEY = 'hawker.searches';
const RECENT_MAX = 10;
function recentSearches(): string[] {
  try {
    const list = JSON.parse(storage.read(RECENT_KEY) ?? '[]');
    return Array.isArray(list) ? list.filter((s): s is string => typeof s === 'string').slice(0, RECENT_MAX) : [];
  } catch {
    return [];
  }
}
function remember(q: string) {
  storage.write(RECENT_KEY, JSON.stringify([q, ...recentSearches().filter((s) => s !== q)].slice(0, RECENT_MAX)));
}

/** The results as the buyer left them to open a hit: back shows them again where they were, without a new search. */
interface Kept {
  url: string;
  token: string | null;
  shown: Shown[];
  page: SearchPage;
  cursor: string | null;
  scrollY: number;
  at: number;
}
let kept: Kept | null = null;
const KEEP_MS = 3 * 60_000;
const keptFor = (url: string) => (kept && kept.url === url && kept.token === auth.token && Date.now() - kept.at < KEEP_MS ? kept : null);

export function Search() {
  const [params, setParams] = useState<Params>(readParams);
  const [input, setInput] = useState(params.q);
  const [editing, setEditing] = useState(false);
  const inputRef = useRef<HTMLInputElement>(null);

  // Back and forward between two searches change only the query string: the router does not re-render for that.
  useEffect(() => {
    const follow = () => {
      const next = readParams();
      setParams(next);
      setInput(next.q);
      setEditing(false);
    };
    window.addEventListener('popstate', follow);
    return () => window.removeEventListener('popstate', follow);
  }, []);

  /** A new query is a new history entry (back returns to the previous one); a tab, sort or filter replaces it. */
  const show = (next: Params, newEntry: boolean) => {
    const url = pageUrl(next);
    if (newEntry) navigate(url);
    else {
      history.replaceState(history.state, '', url);
      window.scrollTo(0, 0);
    }
    setParams(next);
  };

  const submit = (text: string) => {
    const q = text.trim().slice(0, MAX_QUERY);
    if (!q) {
      inputRef.current?.focus();
      return;
    }
    remember(q);
    setInput(q);
    setEditing(false);
    inputRef.current?.blur();
    show({ ...params, q }, true);
  };

  return (
    <main class="page search" data-testid="search">
      <h1 class="visually-hidden">{t('search.title')}</h1>
      <SearchBar
        inputRef={inputRef}
        value={input}
        editing={editing}
        autoFocus={!params.q}
        onInput={(text) => {
          setInput(text);
          setEditing(true);
        }}
        onEditing={setEditing}
        onSubmit={submit}
      />
      {params.q ? <Results key={pageUrl(params)} params={params} onChange={(next) => show(next, false)} onSearch={submit} /> : <Start onSearch={submit} />}
    </main>
  );
}

function SearchIcon({ size = 18 }: { size?: number }) {
  return <Icon name="search" size={size} class="search-icon" />;
}

interface SearchBarProps {
  inputRef: { current: HTMLInputElement | null };
  value: string;
  editing: boolean;
  autoFocus: boolean;
  onInput(text: string): void;
  onEditing(editing: boolean): void;
  onSubmit(text: string): void;
}

/** The box, its clear button and, while the buyer types, the suggestions under it. */
function SearchBar({ inputRef, value, editing, autoFocus, onInput, onEditing, onSubmit }: SearchBarProps) {
  const [suggestions, setSuggestions] = useState<Suggestion[]>([]);
  const [active, setActive] = useState(-1);
  const text = value.trim();

  // Asked for once the typing pauses; an answer to older text is dropped.
  useEffect(() => {
    setActive(-1);
    if (!editing || !text) {
      setSuggestions([]);
      return;
    }
    const abort = new AbortController();
    const timer = setTimeout(() => {
      get<{ suggestions: Suggestion[] }>(`/search/suggest${query({ q: text.slice(0, MAX_SUGGEST_QUERY), limit: 8 })}`, abort.signal).then(
        (r) => setSuggestions(r.suggestions),
        () => !abort.signal.aborted && setSuggestions([]),
      );
    }, SUGGEST_DELAY_MS);
    return () => {
      clearTimeout(timer);
      abort.abort();
    };
  }, [text, editing]);

  useEffect(() => {
    if (autoFocus) inputRef.current?.focus();
  }, []);

  const open = editing && text !== '' && suggestions.length > 0;
  const onKeyDown = (e: KeyboardEvent) => {
    if (!open) return;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const step = e.key === 'ArrowDown' ? 1 : -1;
      // -1 is the box itself, between the last suggestion and the first.
      setActive((i) => {
        const next = i + step;
        return next >= suggestions.length ? -1 : next < -1 ? suggestions.length - 1 : next;
      });
    } else if (e.key === 'Escape') {
      onEditing(false);
    }
  };

  return (
    <form
      class="search-bar"
      role="search"
      action="/search"
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit(open && active >= 0 && active < suggestions.length ? suggestions[active].text : value);
      }}
    >
      <button type="button" class="icon-btn search-back" aria-label={t('common.back')} onClick={() => goBack('/')}>
        <Icon name="back" size={22} />
      </button>
      <div class="search-field">
        <SearchIcon />
        <input
          ref={inputRef}
          type="search"
          name="q"
          value={value}
          placeholder={t('search.placeholder')}
          aria-label={t('search.title')}
          autocomplete="off"
          autocapitalize="off"
          spellcheck={false}
          enterKeyHint="search"
          maxLength={MAX_QUERY}
          aria-controls="search-suggestions"
          aria-autocomplete="list"
          data-testid="search-input"
          onInput={(e) => onInput(e.currentTarget.value)}
          onFocus={() => text && onEditing(true)}
          onBlur={() => onEditing(false)}
          onKeyDown={onKeyDown}
        />
        {value && (
          <button
            type="button"
            class="search-clear"
            aria-label={t('search.clear')}
            data-testid="search-clear"
            // Keeps the keyboard up: the buyer clears to type again.
            onMouseDown={(e) => e.preventDefault()}
            onClick={() => {
              onInput('');
              inputRef.current?.focus();
            }}
          >
            <Icon name="x" size={14} />
          </button>
        )}
      </div>
      <button type="submit" class="btn btn-primary btn-small search-submit" data-testid="search-submit">
        {t('search.submit')}
      </button>
      {open && (
        <ul class="search-suggestions" id="search-suggestions" role="listbox" aria-label={t('search.suggestions')} data-testid="search-suggestions">
          {suggestions.map((s, i) => (
            <li key={`${s.kind}:${s.text}`} id={`search-suggestion-${i}`} role="option" aria-selected={i === active}>
              <button
                type="button"
                class={i === active ? 'search-suggestion active' : 'search-suggestion'}
                data-testid="search-suggestion"
                data-kind={s.kind}
                // A tap must not blur the box first: that would take the list away before the click lands.
                onMouseDown={(e) => e.preventDefault()}
                onClick={() => onSubmit(s.text)}
              >
                <SearchIcon size={15} />
                <span class="search-suggestion-text">{s.text}</span>
                {s.kind !== 'query' && <span class="search-suggestion-kind">{t(`search.kinds.${s.kind}`)}</span>}
              </button>
            </li>
          ))}
        </ul>
      )}
    </form>
  );
}

/** Before a search: this device's recent searches and what everyone searches for. */
function Start({ onSearch }: { onSearch(q: string): void }) {
  const [recent, setRecent] = useState(recentSearches);
  return (
    <div class="search-start">
      {recent.length > 0 && (
        <section class="search-section" data-testid="search-recent">
          <header class="search-section-head">
            <h2>{t('search.recent')}</h2>
            <button
              type="button"
              class="btn btn-tiny"
              onClick={() => {
                storage.write(RECENT_KEY, null);
                setRecent([]);
              }}
            >
              {t('search.clearRecent')}
            </button>
          </header>
          <QueryChips queries={recent} onPick={onSearch} testId="search-recent-query" />
        </section>
      )}
      <PopularSearches onPick={onSearch} />
    </div>
  );
}

/** What everyone searches for, less what is on the page already (the server's own suggestions are often the same). */
function PopularSearches({ onPick, shown = [] }: { onPick(q: string): void; shown?: string[] }) {
  const popular = useResource((signal) => get<{ queries: { text: string; count: number }[] }>('/search/popular?limit=10', signal).then((r) => r.queries), []);
  const queries = (popular.data ?? []).map((q) => q.text).filter((q) => !shown.includes(q));
  if (queries.length === 0) return null;
  return (
    <section class="search-section" data-testid="search-popular">
      <h2>{t('search.popular')}</h2>
      <QueryChips queries={queries} onPick={onPick} testId="search-popular-query" />
    </section>
  );
}

function QueryChips({ queries, onPick, testId }: { queries: string[]; onPick(q: string): void; testId: string }) {
  return (
    <div class="search-chips">
      {queries.map((q) => (
        <button key={q} type="button" class="chip" data-testid={testId} onClick={() => onPick(q)}>
          {q}
        </button>
      ))}
    </div>
  );
}

/** The results of one search (the component is keyed by its URL: a new query, tab, sort or filter starts over). */
function Results({ params, onChange, onSearch }: { params: Params; onChange(next: Params): void; onSearch(q: string): void }) {
  const url = pageUrl(params);
  const [restored] = useState(() => keptFor(url));
  const [shown, setShown] = useState<Shown[]>(restored?.shown ?? []);
  const [page, setPage] = useState<SearchPage | null>(restored?.page ?? null);
  const [cursor, setCursor] = useState<string | null>(restored?.cursor ?? null);
  const [error, setError] = useState<unknown>(null);
  const [round, setRound] = useState(0);
  const [loadingMore, setLoadingMore] = useState(false);
  const [moreError, setMoreError] = useState<unknown>(null);
  const [filtering, setFiltering] = useState(false);
  const sentinel = useRef<HTMLDivElement>(null);

  const latest = useRef({ shown, page, cursor });
  latest.current = { shown, page, cursor };
  const skipFirstLoad = useRef(restored !== null);
  useEffect(() => {
    if (restored) window.scrollTo(0, restored.scrollY);
    return () => {
      const { shown, page, cursor } = latest.current;
      kept = page ? { url, token: auth.token, shown, page, cursor, scrollY: window.scrollY, at: Date.now() } : null;
    };
  }, []);

  useEffect(() => {
    if (skipFirstLoad.current) {
      skipFirstLoad.current = false;
      return;
    }
    const abort = new AbortController();
    setError(null);
    setPage(null);
    get<SearchPage>(`/search${apiQuery(params, null)}`, abort.signal).then(
      (first) => {
        setShown(append([], first));
        setPage(first);
        setCursor(first.nextCursor);
      },
      (err) => !abort.signal.aborted && setError(err),
    );
    return () => abort.abort();
  }, [round]);

  const loadMore = async () => {
    if (!cursor || loadingMore) return;
    setLoadingMore(true);
    setMoreError(null);
    try {
      const next = await get<SearchPage>(`/search${apiQuery(params, cursor)}`);
      setShown((list) => append(list, next));
      setCursor(next.nextCursor);
    } catch (err) {
      setMoreError(err);
    } finally {
      setLoadingMore(false);
    }
  };

  // The next page loads as the end of the list comes into view (the button below does the same by hand).
  useLoadMoreOnView(sentinel, loadMore, !!cursor && moreError === null, [cursor, page, shown.length]);

  const filtered = params.priceMin !== null || params.priceMax !== null || params.inStock;

  return (
    <>
      <div class="search-tabs" role="tablist" aria-label={t('search.title')}>
        {TYPES.map((type) => (
          <button
            key={type}
            type="button"
            role="tab"
            aria-selected={params.type === type}
            class={params.type === type ? 'search-tab active' : 'search-tab'}
            data-type={type}
            onClick={() => type !== params.type && onChange({ ...params, type })}
          >
            {t(`search.tabs.${type}`)}
          </button>
        ))}
      </div>
      {params.type === 'products' && (
        <div class="search-sorts" data-testid="search-sorts">
          <div class="search-sort-list" role="radiogroup" aria-label={t('search.sort.label')}>
            {SORTS.map((sort) => (
              <button
                key={sort}
                type="button"
                role="radio"
                aria-checked={params.sort === sort}
                class={params.sort === sort ? 'search-sort active' : 'search-sort'}
                data-sort={sort}
                onClick={() => sort !== params.sort && onChange({ ...params, sort })}
              >
                {t(`search.sort.${sort}`)}
              </button>
            ))}
          </div>
          <button type="button" class={filtered ? 'search-filter-btn active' : 'search-filter-btn'} aria-haspopup="dialog" data-testid="search-filter" onClick={() => setFiltering(true)}>
            {t('search.filter')}
            {filtered && <span class="search-filter-dot" aria-hidden="true" />}
          </button>
        </div>
      )}
      {error !== null ? (
        <Failure error={error} onRetry={() => setRound((r) => r + 1)} />
      ) : page === null ? (
        <Spinner />
      ) : shown.length === 0 ? (
        <NoResults q={params.q} suggestions={page.suggestions} onSearch={onSearch} />
      ) : (
        <>
          {page.relaxed && (
            <p class="banner banner-warn search-relaxed" data-testid="search-relaxed">
              {t('search.relaxed', { q: params.q })}
            </p>
          )}
          <ul class="search-hits" data-testid="search-hits" data-query={params.q}>
            {shown.map((s, position) => (
              <li key={hitKey(s.hit)}>
                <HitCard hit={s.hit} onOpen={() => reportClick(s, position)} />
              </li>
            ))}
          </ul>
          <div ref={sentinel} class="feed-sentinel" />
          {moreError !== null && <p class="form-error">{errorText(moreError)}</p>}
          {cursor ? (
            <button class="btn btn-block" disabled={loadingMore} onClick={() => void loadMore()} data-testid="search-more">
              {loadingMore ? t('common.loading') : t('common.more')}
            </button>
          ) : (
            <p class="muted feed-end" data-testid="search-end">
              {t('search.end')}
            </p>
          )}
        </>
      )}
      {filtering && (
        <FilterSheet
          params={params}
          onClose={() => setFiltering(false)}
          onApply={(next) => {
            setFiltering(false);
            onChange(next);
          }}
        />
      )}
    </>
  );
}

function append(list: Shown[], page: SearchPage): Shown[] {
  const have = new Set(list.map((s) => hitKey(s.hit)));
  const out = [...list];
  for (const hit of page.hits) {
    const key = hitKey(hit);
    if (have.has(key)) continue;
    have.add(key);
    out.push({ hit, searchId: page.searchId });
  }
  return out;
}

/** Fire and forget: the buyer is on their way to the hit, and a lost report must not hold them up. */
function reportClick(shown: Shown, position: number) {
  post('/search/clicks', { searchId: shown.searchId, type: shown.hit.type, id: shown.hit.id, position }).catch(() => {});
}

function NoResults({ q, suggestions, onSearch }: { q: string; suggestions: string[]; onSearch(q: string): void }) {
  return (
    <div data-testid="search-empty" data-query={q}>
      <Empty icon="compass" title={t('search.noResults', { q })} hint={t('search.noResultsHint')} />
      {suggestions.length > 0 && (
        <section class="search-section" data-testid="search-try">
          <h2>{t('search.tryInstead')}</h2>
          <QueryChips queries={suggestions} onPick={onSearch} testId="search-try-query" />
        </section>
      )}
      <PopularSearches onPick={onSearch} shown={suggestions} />
    </div>
  );
}

/** A colour from an id, for what has no picture (live rooms have no cover). */
function gradient(id: string) {
  let hash = 0;
  for (const c of id) hash = (hash * 31 + c.charCodeAt(0)) | 0;
  const hue = Math.abs(hash) % 360;
  return { background: `linear-gradient(160deg, hsl(${hue} 70% 45%), hsl(${(hue + 60) % 360} 70% 25%))` };
}

/** 83.4 → "1:23" */
function clock(seconds: number): string {
  const s = Math.round(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** One hit as a row: a picture on the left, what it is and its figures on the right. */
function HitCard({ hit, onOpen }: { hit: Hit; onOpen(): void }) {
  const href = hitHref(hit);
  const open = (e: MouseEvent) => {
    onOpen();
    // A modified click opens a new tab as a link does.
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(href);
  };
  let cover: JSX.Element;
  let body: JSX.Element;
  if (hit.type === 'product') {
    cover = (
      <div class="search-cover search-cover-product">
        {hit.imageUrl ? <img src={hit.imageUrl} alt="" loading="lazy" /> : <Icon name="bag" size={36} />}
        {!hit.inStock && (
          <span class="search-soldout" data-testid="search-soldout">
            {t('search.soldOut')}
          </span>
        )}
      </div>
    );
    body = (
      <>
        <p class="search-title">{hit.title}</p>
        <p class="search-price" data-testid="search-price">
          {formatMoney(hit.price, hit.currency || 'CNY')}
          {hit.sold > 0 && <span class="search-sold">{t('search.sold', { n: formatNumber(hit.sold) })}</span>}
        </p>
        <p class="search-meta">{hit.shop.name}</p>
      </>
    );
  } else if (hit.type === 'live') {
    cover = (
      <div class="search-cover" style={gradient(hit.id)}>
        {hit.status === 'live' ? (
          <span class="badge badge-live search-live" data-testid="search-live">
            ● {t('search.live')}
          </span>
        ) : (
          <span class="badge badge-muted search-live">{t('search.upcoming')}</span>
        )}
        <Icon name="tv" size={30} class="search-cover-icon" />
      </div>
    );
    body = (
      <>
        <p class="search-title">{hit.title}</p>
        <p class="search-meta">{hit.shop?.name}</p>
        <p class="search-meta">
          {hit.status === 'live' ? t('search.viewers', { n: formatNumber(hit.viewers) }) : hit.scheduledAt ? formatTime(hit.scheduledAt) : ''}
        </p>
      </>
    );
  } else if (hit.type === 'video') {
    const poster = hit.playback?.cover;
    cover = (
      <div class="search-cover search-cover-video" style={poster ? undefined : gradient(hit.id)}>
        {poster ? <img src={poster} alt="" loading="lazy" /> : <Icon name="film" size={30} class="search-cover-icon" />}
        {hit.durationSeconds !== null && <span class="search-duration">{clock(hit.durationSeconds)}</span>}
      </div>
    );
    body = (
      <>
        <p class="search-title">{hit.title}</p>
        <p class="search-meta">@{hit.creator.displayName || hit.creator.handle}</p>
        {hit.social && <p class="search-meta">♥ {formatNumber(hit.social.likes)}</p>}
      </>
    );
  } else {
    cover = (
      <div class="search-cover search-cover-shop" style={gradient(hit.id)}>
        <span class="search-shop-initial">{[...hit.name][0] ?? '?'}</span>
      </div>
    );
    body = (
      <>
        <p class="search-title">{hit.name}</p>
        {hit.description && <p class="search-meta search-description">{hit.description}</p>}
        <p class="search-meta">
          {t('search.products', { n: formatNumber(hit.products) })}
          <span class="search-visit">{t('search.visit')}</span>
        </p>
      </>
    );
  }
  const kind = hit.type === 'shop' ? 'shop' : hit.type;
  return (
    <a class="search-hit" href={href} onClick={open} data-testid="search-hit" data-type={hit.type} data-id={hit.id} data-sponsored={hit.sponsored ? 'true' : 'false'}>
      {cover}
      <div class="search-body">
        <div class="search-labels">
          <span class={`search-kind search-kind-${kind}`}>{t(`search.kinds.${kind}`)}</span>
          {hit.sponsored && (
            <span class="search-sponsored" data-testid="search-sponsored">
              {t('search.sponsored')}
            </span>
          )}
        </div>
        {body}
      </div>
    </a>
  );
}

/** Price range (typed in yuan, sent in fen) and in stock only. */
function FilterSheet({ params, onClose, onApply }: { params: Params; onClose(): void; onApply(next: Params): void }) {
  const [min, setMin] = useState(params.priceMin === null ? '' : moneyInput(params.priceMin));
  const [max, setMax] = useState(params.priceMax === null ? '' : moneyInput(params.priceMax));
  const [inStock, setInStock] = useState(params.inStock);
  const [bad, setBad] = useState(false);
  const apply = (e: Event) => {
    e.preventDefault();
    const priceMin = min.trim() ? parseMoney(min) : null;
    const priceMax = max.trim() ? parseMoney(max) : null;
    if ((min.trim() && priceMin === null) || (max.trim() && priceMax === null) || (priceMin !== null && priceMax !== null && priceMin > priceMax)) {
      setBad(true);
      return;
    }
    onApply({ ...params, priceMin, priceMax, inStock });
  };
  return (
    <Sheet open onClose={onClose} title={t('search.filters')} testId="search-filter-sheet">
      <form onSubmit={apply} class="search-filter-form">
        <fieldset>
          <legend>{t('search.price')}</legend>
          <div class="search-price-range">
            <input name="priceMin" inputMode="decimal" placeholder={t('search.priceMin')} aria-label={t('search.priceMin')} value={min} onInput={(e) => (setMin(e.currentTarget.value), setBad(false))} />
            <span aria-hidden="true">–</span>
            <input name="priceMax" inputMode="decimal" placeholder={t('search.priceMax')} aria-label={t('search.priceMax')} value={max} onInput={(e) => (setMax(e.currentTarget.value), setBad(false))} />
          </div>
        </fieldset>
        <label class="search-instock">
          <input type="checkbox" name="inStock" checked={inStock} onChange={(e) => setInStock(e.currentTarget.checked)} />
          {t('search.inStock')}
        </label>
        {bad && (
          <p class="form-error" role="alert">
            {t('search.badPrice')}
          </p>
        )}
        <div class="search-filter-actions">
          <button type="button" class="btn" onClick={() => onApply({ ...params, priceMin: null, priceMax: null, inStock: false })}>
            {t('search.reset')}
          </button>
          <button type="submit" class="btn btn-primary" data-testid="search-filter-apply">
            {t('search.apply')}
          </button>
        </div>
      </form>
    </Sheet>
  );
}

/** A shop's own page, where a shop hit leads: its name, a follow button and what it has on sale. */
export function ShopPage({ id }: { id: string }) {
  const shop = useResource((signal) => get<{ shop: { id: string; name: string } }>(`/shops/${encodeURIComponent(id)}`, signal).then((r) => r.shop), [id]);
  return (
    <main class="page search-shop" data-testid="shop-page">
      <Loaded resource={shop}>
        {(s) => (
          <>
            <section class="card row-item search-shop-head">
              <span class="search-cover search-cover-shop search-shop-avatar" style={gradient(s.id)}>
                <span class="search-shop-initial">{[...s.name][0] ?? '?'}</span>
              </span>
              <div class="row-main">
                <h1 class="page-title">{s.name}</h1>
              </div>
              <FollowButton target={{ type: 'shop', id: s.id }} testId="shop-follow" showCount />
            </section>
            <ShopProducts shopId={s.id} />
          </>
        )}
      </Loaded>
    </main>
  );
}

function ShopProducts({ shopId }: { shopId: string }) {
  const [products, setProducts] = useState<Product[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const load = async (after: string | null) => {
    setBusy(true);
    setError(null);
    try {
      const page = await get<{ products: Product[]; nextCursor: string | null }>(`/shops/${encodeURIComponent(shopId)}/products${query({ limit: PAGE_SIZE, cursor: after })}`);
      setProducts((list) => [...(after ? (list ?? []) : []), ...page.products]);
      setCursor(page.nextCursor);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => void load(null), [shopId]);
  if (products === null) return error ? <Failure error={error} onRetry={() => void load(null)} /> : <Spinner />;
  if (products.length === 0) return <Empty icon="bag" title={t('search.shopEmpty')} />;
  return (
    <section>
      <h2>{t('search.shopProducts')}</h2>
      <ul class="feed-grid">
        {products.map((p) => {
          const low = Math.min(...p.skus.map((s) => s.price));
          const soldOut = p.skus.every((s) => s.available === 0);
          return (
            <li key={p.id}>
              <a
                class="feed-card"
                href={withSource(`/p/${encodeURIComponent(p.id)}`, 'profile')}
                data-testid="shop-product"
                data-id={p.id}
                onClick={(e) => {
                  if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
                  e.preventDefault();
                  navigate(withSource(`/p/${encodeURIComponent(p.id)}`, 'profile'));
                }}
              >
                <div class="feed-cover feed-cover-product">
                  {p.images[0] ? (
                    <img class="feed-cover-img" src={p.images[0]} alt="" loading="lazy" />
                  ) : (
                    <span class="feed-product-none">
                      <Icon name="bag" size={44} />
                    </span>
                  )}
                  {soldOut && <span class="search-soldout">{t('search.soldOut')}</span>}
                </div>
                <div class="feed-text">
                  <p class="feed-title">{p.title}</p>
                  <p class="feed-price">{Number.isFinite(low) ? formatMoney(low) : ''}</p>
                </div>
              </a>
            </li>
          );
        })}
      </ul>
      {error !== null && <p class="form-error">{errorText(error)}</p>}
      {cursor && (
        <button class="btn btn-block" disabled={busy} onClick={() => void load(cursor)}>
          {busy ? t('common.loading') : t('common.more')}
        </button>
      )}
    </section>
  );
}
