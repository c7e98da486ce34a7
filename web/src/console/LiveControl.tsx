// The live control panel: go live and end, the ingest URL and key for OBS, a preview of the stream, the
// figures as they happen, the drop buttons (上链接) and the room's chat with moderation.
import { useEffect, useRef, useState } from 'preact/hooks';
import { get, post, query } from '../shared/api.ts';
import { formatMoney, formatNumber, formatTime, parseMoney } from '../shared/format.ts';
import { t } from '../shared/i18n.ts';
import { enginesFor, LivePlayer, type PlayerState } from '../shared/player.ts';
import { RoomChannel, type ChannelState } from '../shared/room.ts';
import { Link, searchParam } from '../shared/router.tsx';
import type { ChatMessage, Drop, LiveSession, Product, RoomMessage, Shop, ShopStats } from '../shared/types.ts';
import { CopyButton, errorText, Loaded, useInterval, useNow, useResource, useSubmit } from '../shared/ui.tsx';
import { BrowserGoLive, CohostPanel } from './GoLive.tsx';
import { Figure } from './ShopOverview.tsx';

export function LiveControl({ shop, id }: { shop: Shop; id: string }) {
  const session = useResource((signal) => get<{ liveSession: LiveSession }>(`/live-sessions/${id}`, signal).then((r) => r.liveSession), [id]);
  return <Loaded resource={session}>{(s) => <ControlPanel shop={shop} session={s} onSession={session.setData} />}</Loaded>;
}

interface Moderation {
  userId: string;
  handle: string;
  kind: 'mute' | 'ban';
  until: string | null;
}

function ControlPanel({ shop, session, onSession }: { shop: Shop; session: LiveSession; onSession(s: LiveSession): void }) {
  const [viewers, setViewers] = useState(session.viewers);
  const [likes, setLikes] = useState(0);
  const [lines, setLines] = useState<ChatMessage[]>([]);
  const [drop, setDrop] = useState<Drop | null>(session.drop?.status === 'active' ? session.drop : null);
  const [channel, setChannel] = useState<ChannelState>('connecting');
  const [error, setError] = useState<unknown>(null);
  const [draft, setDraft] = useState('');
  const channelRef = useRef<RoomChannel | null>(null);
  // Whether this page is publishing the session from the browser (see CohostPanel).
  const goingLive = useRef(false);

  const stats = useResource(
    (signal) =>
      session.startedAt
        ? get<{ stats: ShopStats }>(`/shops/${shop.id}/stats${query({ from: session.startedAt })}`, signal).then((r) => r.stats)
        : Promise.resolve(null),
    [shop.id, session.startedAt],
  );
  const stream = useResource((signal) => get<{ stream: { publishing: boolean } }>(`/live-sessions/${session.id}/stream`, signal).then((r) => r.stream), [session.id]);
  const drops = useResource((signal) => get<{ drops: Drop[] }>(`/live-sessions/${session.id}/drops`, signal).then((r) => r.drops), [session.id, drop?.id, drop?.status]);
  const moderation = useResource(
    (signal) => get<{ moderation: Moderation[] }>(`/live-sessions/${session.id}/moderation`, signal).then((r) => r.moderation),
    [session.id],
  );

  // Paid orders and GMV come from the shop's figures, and a drop's sold units from the drop: both change on
  // payment, which the room does not announce. A few requests a second at most, however busy the room.
  useInterval(stats.reload, 3000, session.status === 'live');
  useInterval(stream.reload, 3000, session.status !== 'ended');
  useInterval(drops.reload, 5000, session.status === 'live');
  // A stream arriving (from OBS, or from this browser) takes a scheduled session live: show it as such.
  useEffect(() => {
    if (!stream.data?.publishing || session.status !== 'scheduled') return;
    get<{ liveSession: LiveSession }>(`/live-sessions/${session.id}`).then((r) => r.liveSession.status !== 'scheduled' && onSession(r.liveSession), () => {});
  }, [stream.data]);
  useInterval(
    () => {
      if (!drop) return;
      get<{ drop: Drop }>(`/drops/${drop.id}`).then(
        (r) => setDrop((current) => (current?.id === r.drop.id ? (r.drop.status === 'active' ? r.drop : null) : current)),
        () => {},
      );
    },
    3000,
    drop !== null,
  );

  useEffect(() => {
    const onMessage = (m: RoomMessage) => {
      if (m.type === 'welcome') {
        setLines([]);
        setDrop(null);
      } else if (m.type === 'chat') setLines((ls) => (ls.some((l) => l.id === m.id) ? ls : [...ls.slice(-199), m]));
      else if (m.type === 'chat_deleted') setLines((ls) => ls.filter((l) => l.id !== m.id));
      else if (m.type === 'likes') setLikes(m.total);
      else if (m.type === 'viewers') setViewers(m.count);
      else if (m.type === 'drop') setDrop(m.drop.status === 'active' ? m.drop : null);
    };
    const ch = new RoomChannel(session.id, { message: onMessage, state: setChannel });
    channelRef.current = ch;
    ch.start();
    return () => ch.stop();
  }, [session.id]);

  const act = async (path: string, confirmText?: string) => {
    if (confirmText && !confirm(confirmText)) return;
    setError(null);
    try {
      onSession((await post<{ liveSession: LiveSession }>(`/live-sessions/${session.id}/${path}`)).liveSession);
    } catch (err) {
      setError(err);
    }
  };

  const moderate = async (path: string, body: Record<string, unknown>) => {
    setError(null);
    try {
      await post(`/live-sessions/${session.id}/moderation/${path}`, body);
      moderation.reload();
    } catch (err) {
      setError(err);
    }
  };

  const say = (e: Event) => {
    e.preventDefault();
    if (draft.trim() && channelRef.current?.send({ type: 'chat', text: draft.trim() })) setDraft('');
  };

  return (
    <div class="control" data-testid="live-control">
      <header class="page-head">
        <div>
          <p class="muted">
            <Link href="/console/live">{t('live.title')}</Link> ›
          </p>
          <h1>{session.title}</h1>
        </div>
        <span class={`badge badge-${session.status === 'live' ? 'live' : session.status === 'scheduled' ? 'info' : 'muted'}`} data-testid="session-status">
          {t(`live.statuses.${session.status}`)}
        </span>
        <div class="actions">
          {session.status === 'scheduled' && (
            <button class="btn btn-primary" onClick={() => act('start')} data-testid="go-live">
              {t('live.goLive')}
            </button>
          )}
          {session.status !== 'ended' && (
            <button class="btn btn-danger" onClick={() => act('end', t('live.endConfirm'))} data-testid="end-live">
              {t('live.end')}
            </button>
          )}
          <a class="btn" href={`/room/${session.id}`} target="_blank" rel="noopener">
            {t('live.openRoom')}
          </a>
          <Link class="btn" href={`/console/live/${session.id}/analytics`} data-testid="open-analytics">
            {t('analyticsLinks.openLive')}
          </Link>
        </div>
      </header>
      {error !== null && <p class="form-error">{errorText(error)}</p>}
      {channel !== 'open' && channel !== 'connecting' && <div class="banner banner-warn">{t('live.roomReconnecting')}</div>}

      <section class="figures panel" data-testid="live-figures">
        <Figure label={t('figures.viewers')} value={formatNumber(viewers)} testId="figure-viewers" />
        <Figure label={t('figures.likes')} value={formatNumber(likes)} testId="figure-likes" />
        <Figure label={t('figures.paidOrders')} value={stats.data ? String(stats.data.orders) : '—'} testId="figure-orders" />
        <Figure label={t('figures.gmv')} value={stats.data ? formatMoney(stats.data.gmv, stats.data.currency) : '—'} testId="figure-gmv" />
        <Figure label={t('figures.remaining')} value={drop ? String(drop.remaining) : '—'} testId="figure-remaining" />
      </section>

      <div class="control-grid">
        <div class="control-col">
          <section class="panel">
            <h2>
              {t('live.preview')}{' '}
              <span class={stream.data?.publishing ? 'badge badge-live' : 'badge badge-muted'} data-testid="publishing">
                {stream.data?.publishing ? t('live.receiving') : t('live.noSignal')}
              </span>
            </h2>
            <Preview session={session} />
          </section>
          {session.ingest && session.status !== 'ended' && <Ingest session={session} onSession={onSession} />}
          {session.ingest && session.status !== 'ended' && <BrowserGoLive session={session} onStateChange={(s) => (goingLive.current = s === 'connecting' || s === 'live')} />}
          {session.status !== 'ended' && <CohostPanel session={session} hostLive={() => goingLive.current} />}
        </div>
        <div class="control-col">
          <DropPanel shop={shop} session={session} drop={drop} onDrop={setDrop} />
          <section class="panel">
            <h2>{t('live.drops')}</h2>
            <ul class="drop-history">
              {(drops.data ?? []).map((d) => (
                <li key={d.id}>
                  <span>
                    {d.title} · {d.skuName}
                  </span>
                  <span class="muted">
                    {t('live.dropSold', { sold: d.sold, quantity: d.quantity })} · {formatTime(d.createdAt)}
                  </span>
                </li>
              ))}
            </ul>
          </section>
          <section class="panel chat-panel">
            <h2>{t('live.chat')}</h2>
            <ol class="mod-chat" data-testid="console-chat">
              {lines.map((l) => (
                <li key={l.id}>
                  <span>
                    <b>{l.user.handle}</b> {l.text}
                  </span>
                  <span class="mod-actions">
                    <button class="btn btn-tiny" title={t('live.delete')} onClick={() => moderate('delete-message', { messageId: l.id })}>
                      {t('live.delete')}
                    </button>
                    <button class="btn btn-tiny" title={t('live.mute')} onClick={() => moderate('mute', { userId: l.user.id, seconds: 600 })}>
                      {t('live.mute')}
                    </button>
                    <button class="btn btn-tiny btn-danger" title={t('live.ban')} onClick={() => moderate('ban', { userId: l.user.id })}>
                      {t('live.ban')}
                    </button>
                  </span>
                </li>
              ))}
            </ol>
            <form class="inline" onSubmit={say}>
              <input class="grow" placeholder={t('live.sayAsHost')} maxLength={200} value={draft} onInput={(e) => setDraft(e.currentTarget.value)} />
              <button class="btn btn-small" type="submit">
                {t('common.send')}
              </button>
            </form>
            {(moderation.data ?? []).length > 0 && (
              <>
                <h3>{t('live.moderated')}</h3>
                <ul class="moderated">
                  {moderation.data!.map((m) => (
                    <li key={m.userId}>
                      {m.handle} · {m.kind === 'ban' ? t('live.banned') : t('live.mutedUntil', { time: formatTime(m.until) })}
                      <button class="btn btn-tiny" onClick={() => moderate('lift', { userId: m.userId })}>
                        {t('live.lift')}
                      </button>
                    </li>
                  ))}
                </ul>
              </>
            )}
          </section>
        </div>
      </div>
    </div>
  );
}

function Preview({ session }: { session: LiveSession }) {
  const video = useRef<HTMLVideoElement>(null);
  const [state, setState] = useState<PlayerState>('loading');
  useEffect(() => {
    if (session.status !== 'live' || !video.current) return;
    const player = new LivePlayer(video.current, session.playback, setState, enginesFor(video.current, searchParam('player')));
    player.start();
    return () => player.stop();
  }, [session.status, session.id]);
  return (
    <div class="preview">
      <video ref={video} muted playsInline autoplay controls data-testid="preview" data-state={state} />
      {session.status !== 'live' && <p class="preview-cover">{session.status === 'ended' ? t('room.ended') : t('live.previewAfterStart')}</p>}
      {session.status === 'live' && state === 'waiting' && <p class="preview-cover">{t('live.waitingForStream')}</p>}
    </div>
  );
}

function Ingest({ session, onSession }: { session: LiveSession; onSession(s: LiveSession): void }) {
  const [shown, setShown] = useState(false);
  const ingest = session.ingest!;
  const { error, run } = useSubmit(async () => onSession((await post<{ liveSession: LiveSession }>(`/live-sessions/${session.id}/stream-key`)).liveSession));
  const rotate = () => confirm(t('live.rotateConfirm')) && run();
  const ffmpeg = `ffmpeg -re -i video.mp4 -c:v libx264 -preset veryfast -tune zerolatency -g 50 -c:a aac -f flv "${ingest.url}/${ingest.streamKey}"`;
  return (
    <section class="panel" data-testid="ingest">
      <h2>{t('live.ingest')}</h2>
      <label>
        {t('live.server')}
        <div class="inline">
          <input class="grow mono" readOnly value={ingest.url} data-testid="ingest-url" />
          <CopyButton text={ingest.url} label={t('live.server')} />
        </div>
      </label>
      <label>
        {t('live.streamKey')}
        <div class="inline">
          <input class="grow mono" readOnly type={(shown ? 'text' : 'password') as 'text'} value={ingest.streamKey} data-testid="stream-key" />
          <button class="btn btn-small" type="button" onClick={() => setShown(!shown)}>
            {shown ? t('live.hide') : t('live.show')}
          </button>
          <CopyButton text={ingest.streamKey} label={t('live.streamKey')} />
          <button class="btn btn-small" type="button" onClick={rotate}>
            {t('live.rotate')}
          </button>
        </div>
      </label>
      {error !== null && <p class="form-error">{errorText(error)}</p>}
      <details class="obs">
        <summary>{t('live.obsTitle')}</summary>
        <ol>
          <li>{t('live.obs1')}</li>
          <li>{t('live.obs2')}</li>
          <li>{t('live.obs3')}</li>
          <li>{t('live.obs4')}</li>
          <li>{t('live.obs5')}</li>
        </ol>
        <p>{t('live.ffmpegHint')}</p>
        <div class="inline">
          <code class="grow">{shown ? ffmpeg : ffmpeg.replace(ingest.streamKey, '••••••')}</code>
          <CopyButton text={ffmpeg} label="ffmpeg" />
        </div>
      </details>
    </section>
  );
}

const COUNTDOWNS = [0, 3, 5, 10, 30, 60];

/** 上链接: pick a SKU, how many units, an optional price and countdown; end the drop on the air. */
function DropPanel({ shop, session, drop, onDrop }: { shop: Shop; session: LiveSession; drop: Drop | null; onDrop(d: Drop | null): void }) {
  const products = useResource(
    (signal) => get<{ products: Product[] }>(`/shops/${shop.id}/products?limit=200&status=listed`, signal).then((r) => r.products),
    [shop.id, drop?.id],
  );
  const skus = (products.data ?? []).flatMap((p) => p.skus.map((s) => ({ ...s, title: p.title })));
  const [skuId, setSkuId] = useState('');
  const [quantity, setQuantity] = useState('10');
  const [price, setPrice] = useState('');
  const [countdown, setCountdown] = useState(3);
  const [limit, setLimit] = useState('');
  const chosen = skus.find((s) => s.id === skuId) ?? skus[0];
  const { busy, error, setError, run: send } = useSubmit(async (body: Record<string, unknown>) => onDrop((await post<{ drop: Drop }>(`/live-sessions/${session.id}/drops`, body)).drop));

  const launch = (e: Event) => {
    e.preventDefault();
    if (!chosen) return;
    const dropPrice = price.trim() ? parseMoney(price) : null;
    if (price.trim() && (dropPrice === null || dropPrice < 1)) return setError(t('products.badPrice'));
    void send({
      skuId: chosen.id,
      quantity: Number(quantity),
      countdownSeconds: countdown,
      ...(dropPrice ? { price: dropPrice } : {}),
      ...(limit ? { perBuyerLimit: Number(limit) } : {}),
    });
  };

  if (drop) return <ActiveDrop drop={drop} onEnded={() => onDrop(null)} />;

  return (
    <form class="panel" onSubmit={launch} data-testid="drop-form">
      <h2>{t('live.dropTitle')}</h2>
      {session.status === 'ended' ? (
        <p class="muted">{t('live.endedNoDrops')}</p>
      ) : skus.length === 0 ? (
        <p class="muted">
          {t('live.noProducts')} <Link href="/console/products">{t('console.nav.products')}</Link>
        </p>
      ) : (
        <>
          <label>
            {t('live.sku')}
            <select name="sku" value={chosen?.id} onChange={(e) => setSkuId(e.currentTarget.value)}>
              {skus.map((s) => (
                <option key={s.id} value={s.id} disabled={s.available === 0}>
                  {s.title} — {s.name} · {formatMoney(s.price)} · {t('products.available')} {s.available}
                </option>
              ))}
            </select>
          </label>
          <div class="row">
            <label>
              {t('live.quantity')}
              <input name="quantity" type="number" min={1} max={chosen?.available} required value={quantity} onInput={(e) => setQuantity(e.currentTarget.value)} />
            </label>
            <label>
              {t('live.dropPrice')}
              <input name="price" inputMode="decimal" placeholder={chosen ? (chosen.price / 100).toFixed(2) : ''} value={price} onInput={(e) => setPrice(e.currentTarget.value)} />
            </label>
            <label>
              {t('live.perBuyer')}
              <input name="limit" type="number" min={1} placeholder="∞" value={limit} onInput={(e) => setLimit(e.currentTarget.value)} />
            </label>
          </div>
          <fieldset class="countdowns">
            <legend>{t('live.countdown')}</legend>
            {COUNTDOWNS.map((s) => (
              <button type="button" key={s} class={s === countdown ? 'chip chip-on' : 'chip'} aria-pressed={s === countdown} onClick={() => setCountdown(s)}>
                {s === 0 ? t('live.now') : `${s}s`}
              </button>
            ))}
          </fieldset>
          {error !== null && <p class="form-error">{errorText(error)}</p>}
          <button class="btn btn-primary btn-big" type="submit" disabled={busy} data-testid="launch-drop">
            {t('live.launch')}
          </button>
        </>
      )}
    </form>
  );
}

/** The drop on the air: its countdown and what is left, and ending it early. */
function ActiveDrop({ drop, onEnded }: { drop: Drop; onEnded(): void }) {
  const now = useNow(250);
  const { error, run: end } = useSubmit(async () => {
    await post(`/drops/${drop.id}/end`);
    onEnded();
  });
  const opensIn = Math.ceil((Date.parse(drop.startsAt) - now) / 1000);
  return (
    <section class="panel drop-live" data-testid="active-drop">
      <h2>{t('live.dropOnAir')}</h2>
      <p>
        <strong>{drop.title}</strong> · {drop.skuName} · {formatMoney(drop.price)}
      </p>
      <p class="drop-countdown">{opensIn > 0 ? t('live.opensIn', { n: opensIn }) : t('live.dropOpen')}</p>
      <p>
        {t('live.dropLeft', { remaining: drop.remaining, quantity: drop.quantity })} · {t('live.dropSold', { sold: drop.sold, quantity: drop.quantity })}
      </p>
      {error !== null && <p class="form-error">{errorText(error)}</p>}
      <button class="btn btn-danger" onClick={end} data-testid="end-drop">
        {t('live.endDrop')}
      </button>
    </section>
  );
}
