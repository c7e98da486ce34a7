// The live room: the video fills a phone screen; chat, likes, the viewer count, the pinned drop card and
// the purchase ticker sit over it, and buying happens in a sheet without leaving the room.
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { auth, get, useAuth } from '../shared/api.ts';
import { clockSynced } from '../shared/clock.ts';
import { formatCountdown, formatMoney, formatNumber, formatTime } from '../shared/format.ts';
import { t } from '../shared/i18n.ts';
import { Icon, type IconName } from '../shared/icons.tsx';
import { enginesFor, LivePlayer, playReplay, type PlayerState } from '../shared/player.ts';
import { RoomChannel, type ChannelState } from '../shared/room.ts';
import { goBack, searchParam } from '../shared/router.tsx';
import type { ChatMessage, Drop, LiveSession, OnScreen, RoomMessage, TipMessage } from '../shared/types.ts';
import { AuthForm, Failure, Sheet, Spinner, useInterval, useNow, useResource } from '../shared/ui.tsx';
import { arrivedFrom, RoomCards, type RoomCard, type Source } from './analytics-events.ts';
import { BuySheet } from './BuySheet.tsx';
import { CohostInviteBanner, OnScreenNames } from './Cohosting.tsx';
import { FollowButton } from './Follow.tsx';
import './feed.css';
import { ShareButton } from './ShareButton.tsx';
import { TipSheet } from './TipSheet.tsx';

const CHAT_LINES = 40;
const TICKER_MS = 2500;

type Line = ChatMessage | TipMessage;
interface Heart {
  id: number;
  x: number;
  hue: number;
}

/**
 * `onBack`: where the back button goes when the room is shown in place of another page (a share link's);
 * `source`: where the viewer came from, when the address does not say (?from=).
 */
export function Room({ id, onBack, source }: { id: string; onBack?: () => void; source?: Source }) {
  const session = useResource((signal) => get<{ liveSession: LiveSession }>(`/live-sessions/${id}`, signal).then((r) => r.liveSession), [id]);
  if (!session.data) {
    return <div class="room room-loading">{session.error ? <Failure error={session.error} onRetry={session.reload} /> : <Spinner />}</div>;
  }
  return <LiveRoom session={session.data} refresh={session.reload} onBack={onBack} source={source} />;
}

function LiveRoom({ session, refresh, onBack, source }: { session: LiveSession; refresh(): void; onBack?: () => void; source?: Source }) {
  const { token } = useAuth();
  // This visit to the room: where the viewer came from (told to the room and carried into an order placed here),
  // and the product cards shown so far.
  const [entry] = useState(() => ({ source: source ?? arrivedFrom({ type: 'live', id: session.id }) }));
  const [cards] = useState(() => new RoomCards(session.id));
  const [lines, setLines] = useState<Line[]>([]);
  const [likes, setLikes] = useState(0);
  const [viewers, setViewers] = useState(session.viewers);
  const [drop, setDrop] = useState<Drop | null>(session.drop?.status === 'active' ? session.drop : null);
  const [ticker, setTicker] = useState<{ handle: string; quantity: number }[]>([]);
  const [channel, setChannel] = useState<{ state: ChannelState; retryInMs?: number }>({ state: 'connecting' });
  const [canChat, setCanChat] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [banned, setBanned] = useState(false);
  const [hearts, setHearts] = useState<Heart[]>([]);
  const [buying, setBuying] = useState(false);
  const [signingIn, setSigningIn] = useState(false);
  const [tipping, setTipping] = useState(false);
  const [draft, setDraft] = useState('');
  const [onScreen, setOnScreen] = useState<OnScreen>({ people: [], layout: null });
  const channelRef = useRef<RoomChannel | null>(null);
  // Counts the room's on_screen messages: a fetch answered after one came is older than it.
  const onScreenSeq = useRef(0);
  const heartSeq = useRef(0);

  const floatHeart = () => {
    const heart = { id: ++heartSeq.current, x: Math.random() * 40 - 20, hue: Math.floor(Math.random() * 360) };
    setHearts((hs) => [...hs.slice(-20), heart]);
    setTimeout(() => setHearts((hs) => hs.filter((h) => h.id !== heart.id)), 1600);
  };

  const showNotice = (text: string) => {
    setNotice(text);
    setTimeout(() => setNotice((n) => (n === text ? null : n)), 3000);
  };

  /** Who is on screen, asked on every (re)connection: the room tells changes, not the state it starts from. */
  const loadOnScreen = () => {
    const seq = onScreenSeq.current;
    get<OnScreen>(`/live-sessions/${session.id}/on-screen`).then((r) => onScreenSeq.current === seq && setOnScreen(r), () => {});
  };

  // One channel per room and signed-in user: signing in inside the room reconnects with the token.
  useEffect(() => {
    const onMessage = (m: RoomMessage) => {
      switch (m.type) {
        case 'welcome':
          // a (re)connection starts from the snapshot that follows
          setLines([]);
          setDrop(null);
          setCanChat(m.canChat);
          if (session.status !== 'ended') loadOnScreen();
          break;
        case 'on_screen':
          onScreenSeq.current++;
          setOnScreen({ people: m.people, layout: m.layout });
          break;
        case 'chat':
        case 'tip':
          setLines((ls) => (ls.some((l) => l.id === m.id) ? ls : [...ls.slice(-(CHAT_LINES - 1)), m]));
          break;
        case 'chat_deleted':
          setLines((ls) => ls.filter((l) => l.id !== m.id));
          break;
        case 'likes':
          setLikes((current) => {
            if (m.total > current) for (let i = 0; i < Math.min(3, m.total - current); i++) setTimeout(floatHeart, i * 150);
            return Math.max(current, m.total);
          });
          break;
        case 'viewers':
          setViewers(m.count);
          break;
        case 'drop':
          setDrop(m.drop.status === 'active' ? m.drop : null);
          break;
        case 'purchase':
          setTicker((q) => [...q.slice(-4), { handle: m.handle, quantity: m.quantity }]);
          break;
        case 'error':
          showNotice(t(`room.notice.${m.code as 'muted'}`, { defaultValue: m.message }));
          break;
        case 'muted':
          showNotice(t('room.notice.mutedUntil', { time: formatTime(m.until) }));
          break;
        case 'banned':
          setBanned(true);
          break;
      }
    };
    const ch = new RoomChannel(session.id, { message: onMessage, state: (state, retryInMs) => setChannel({ state, retryInMs }) }, entry);
    channelRef.current = ch;
    ch.start();
    return () => {
      ch.stop();
      channelRef.current = null;
    };
  }, [session.id, token]);

  // The purchase ticker shows one purchase at a time.
  useEffect(() => {
    if (ticker.length === 0) return;
    const timer = setTimeout(() => setTicker((q) => q.slice(1)), TICKER_MS);
    return () => clearTimeout(timer);
  }, [ticker]);

  const like = () => {
    floatHeart();
    setLikes((n) => n + 1);
    channelRef.current?.send({ type: 'like' });
  };

  const sendChat = (e: Event) => {
    e.preventDefault();
    const text = draft.trim();
    if (!text) return;
    if (channelRef.current?.send({ type: 'chat', text })) setDraft('');
    else showNotice(t('room.notConnected'));
  };

  const buy = (card: RoomCard) => {
    cards.clicked(card);
    setBuying(true);
  };

  return (
    <div class="room" data-testid="room">
      <RoomVideo session={session} refresh={refresh} />

      <header class="room-top">
        <button class="icon-btn room-back" aria-label={t('common.back')} onClick={() => (onBack ? onBack() : goBack('/'))}>
          <Icon name="back" size={26} />
        </button>
        <div class="room-host">
          <strong>{session.shop.name}</strong>
          <span class="room-title">{session.title}</span>
        </div>
        <FollowButton target={{ type: 'shop', id: session.shopId }} testId="room-follow" />
        <span class="pill" data-testid="viewers" aria-label={t('room.viewers')}>
          <Icon name="eye" size={14} /> {formatNumber(viewers)}
        </span>
        <ShareButton target={{ type: 'live', id: session.id }} title={session.title} class="icon-btn room-share" label={false} />
      </header>
      {session.status !== 'ended' && <OnScreenNames onScreen={onScreen} />}
      {token && session.status !== 'ended' && <CohostInviteBanner sessionId={session.id} hostName={session.shop.name} />}

      {channel.state !== 'open' && channel.state !== 'connecting' && !banned && (
        <div class="banner banner-warn" role="status" data-testid="connection-banner">
          {channel.state === 'offline' ? t('room.offline') : channel.state === 'closed' ? t('room.disconnected') : t('room.reconnecting', { seconds: Math.ceil((channel.retryInMs ?? 0) / 1000) })}
        </div>
      )}
      {banned && <div class="banner banner-bad">{t('room.banned')}</div>}
      {notice && (
        <div class="toast" role="alert">
          {notice}
        </div>
      )}

      {session.status !== 'ended' && (
        <div class="room-bottom">
          {ticker[0] && (
            <div class="ticker" key={`${ticker[0].handle}-${ticker.length}`} data-testid="ticker">
              <Icon name="cart" size={14} /> {t('room.justBought', { handle: ticker[0].handle, quantity: ticker[0].quantity })}
            </div>
          )}
          <ol class="chat" aria-live="polite" data-testid="chat">
            {lines.map((l) =>
              l.type === 'chat' ? (
                <li key={l.id}>
                  <b>{l.user.handle}</b> {l.text}
                </li>
              ) : (
                <li key={l.id} class="chat-tip">
                  <Icon name="gift" size={14} /> <b>{l.user.handle}</b> {t('room.tipped', { amount: formatMoney(l.amount) })} {l.message}
                </li>
              ),
            )}
          </ol>
          {drop && <DropCard drop={drop} onShown={(card) => cards.shown(card)} onBuy={buy} />}
          <div class="room-actions">
            {canChat && token ? (
              <form class="chat-form" onSubmit={sendChat}>
                <input
                  name="chat"
                  aria-label={t('room.say')}
                  placeholder={t('room.say')}
                  maxLength={200}
                  autocomplete="off"
                  value={draft}
                  onInput={(e) => setDraft(e.currentTarget.value)}
                />
              </form>
            ) : (
              <button class="chat-form chat-signin" onClick={() => setSigningIn(true)}>
                {t('room.signInToChat')}
              </button>
            )}
            <button class="gift-btn" aria-label={t('tip.title')} data-testid="tip" onClick={() => setTipping(true)}>
              <Icon name="gift" size={22} />
            </button>
            <button class="like-btn" aria-label={t('room.like')} data-testid="like" onClick={like}>
              <Icon name="heart" size={24} filled />
              <small>{formatNumber(likes)}</small>
            </button>
          </div>
          <div class="hearts" aria-hidden="true">
            {hearts.map((h) => (
              <span key={h.id} class="heart" style={{ '--x': `${h.x}px`, color: `hsl(${h.hue} 90% 65%)` }}>
                <Icon name="heart" size={26} filled />
              </span>
            ))}
          </div>
        </div>
      )}

      {drop && (
        <BuySheet
          open={buying}
          onClose={() => setBuying(false)}
          target={{
            title: drop.title,
            skus: [{ id: drop.skuId, productId: drop.productId, name: drop.skuName, price: drop.price, available: drop.remaining }],
            drop,
            liveSessionId: session.id,
            source: entry.source,
          }}
        />
      )}
      <TipSheet open={tipping} sessionId={session.id} onClose={() => setTipping(false)} onTipped={(amount) => showNotice(t('tip.thanks', { amount: formatMoney(amount) }))} />
      <Sheet open={signingIn && !auth.token} onClose={() => setSigningIn(false)} title={t('auth.signIn')}>
        <AuthForm onDone={() => setSigningIn(false)} />
      </Sheet>
    </div>
  );
}

/** The video and what covers it when there is nothing to play: not started yet, host not streaming, ended. */
function RoomVideo({ session, refresh }: { session: LiveSession; refresh(): void }) {
  const video = useRef<HTMLVideoElement>(null);
  const [state, setState] = useState<PlayerState>('loading');
  const [muted, setMuted] = useState(true);
  const live = session.status === 'live';

  useEffect(() => {
    if (!live || !video.current) return;
    const player = new LivePlayer(video.current, session.playback, setState, enginesFor(video.current, searchParam('player')));
    player.start();
    return () => player.stop();
  }, [live, session.id]);

  // While nothing plays, look again now and then: the host may have gone live or ended.
  useInterval(refresh, 10_000, session.status !== 'ended' && state !== 'playing');

  const unmute = () => {
    if (!video.current) return;
    video.current.muted = false;
    void video.current.play();
    setMuted(false);
  };

  if (session.status === 'ended') return <Replay session={session} />;

  let cover: ComponentChildren = null;
  if (session.status === 'scheduled') cover = <Offline icon="clock" title={t('room.scheduled')} hint={session.scheduledAt ? t('room.startsAt', { time: formatTime(session.scheduledAt) }) : undefined} />;
  else if (state === 'ended') cover = <Offline icon="film" title={t('room.ended')} hint={t('room.endedHint')} />;
  else if (state === 'unsupported') cover = <Offline icon="videoOff" title={t('room.unsupported')} />;
  else if (state === 'waiting') cover = <Offline icon="videoOff" title={t('room.streamOffline')} hint={t('room.streamOfflineHint')} />;
  else if (state === 'loading') cover = <Spinner label={t('room.connectingVideo')} />;

  return (
    <div class="room-video">
      <video ref={video} muted playsInline autoplay data-testid="video" data-state={state} />
      {cover && <div class="room-cover">{cover}</div>}
      {live && state === 'playing' && muted && (
        <button class="unmute" onClick={unmute}>
          <Icon name="volumeOff" size={16} /> {t('room.unmute')}
        </button>
      )}
    </div>
  );
}

interface ReplayInfo {
  hls: string;
  durationSeconds: number;
  pins: { dropId: string; title: string; skuName: string; offsetSeconds: number }[];
}

/** An ended session: its replay when there is one, with the moments each product was pinned. */
function Replay({ session }: { session: LiveSession }) {
  const video = useRef<HTMLVideoElement>(null);
  const replay = useResource((signal) => get<{ replay: ReplayInfo }>(`/live-sessions/${session.id}/replay`, signal).then((r) => r.replay), [session.id]);
  const [watching, setWatching] = useState(false);
  useEffect(() => {
    if (!watching || !replay.data || !video.current) return;
    let stop: (() => void) | undefined;
    let gone = false;
    void playReplay(video.current, replay.data.hls).then((teardown) => (gone ? teardown() : (stop = teardown)));
    return () => {
      gone = true;
      stop?.();
    };
  }, [watching, replay.data]);
  const seek = (seconds: number) => {
    if (video.current) video.current.currentTime = seconds;
  };
  return (
    <div class="room-video">
      <video ref={video} playsInline controls={watching} data-testid="replay" />
      {!watching && (
        <div class="room-cover">
          <div class="offline" data-testid="stream-offline">
            <div class="offline-icon">
              <Icon name="film" size={48} />
            </div>
            <p class="offline-title">{t('room.ended')}</p>
            <p class="offline-hint">{t('room.endedHint')}</p>
            {replay.data && replay.data.durationSeconds > 0 && (
              <button class="btn btn-primary" onClick={() => setWatching(true)} data-testid="watch-replay">
                {t('room.watchReplay', { duration: formatCountdown(replay.data.durationSeconds) })}
              </button>
            )}
          </div>
        </div>
      )}
      {watching && replay.data && replay.data.pins.length > 0 && (
        <div class="pins">
          {replay.data.pins.map((p) => (
            <button key={p.dropId} class="chip" onClick={() => seek(p.offsetSeconds)}>
              {p.title} · {formatCountdown(p.offsetSeconds)}
            </button>
          ))}
        </div>
      )}
    </div>
  );
}

function Offline({ icon, title, hint }: { icon: IconName; title: string; hint?: string }) {
  return (
    <div class="offline" data-testid="stream-offline">
      <div class="offline-icon">
        <Icon name={icon} size={48} />
      </div>
      <p class="offline-title">{title}</p>
      {hint && <p class="offline-hint">{hint}</p>}
    </div>
  );
}

/**
 * The pinned product: price, what is left, the countdown to the drop opening (by the server's clock, see
 * clock.ts), and one-tap buy. The server decides whether an order is early; the buy sheet handles its answer.
 * `onShown` once the card is on screen (at least half of it), for its impression.
 */
function DropCard({ drop, onShown, onBuy }: { drop: Drop; onShown(card: RoomCard): void; onBuy(card: RoomCard): void }) {
  const now = useNow(200);
  const card: RoomCard = { id: drop.id, productId: drop.productId, skuId: drop.skuId };
  const element = useRef<HTMLElement>(null);
  useEffect(() => {
    if (!element.current) return;
    const observer = new IntersectionObserver(
      (seen) => {
        if (!seen.some((s) => s.isIntersecting)) return;
        observer.disconnect();
        onShown(card);
      },
      { threshold: 0.5 },
    );
    observer.observe(element.current);
    return () => observer.disconnect();
    // Watched again after a sign-in here: the card is shown to a new viewer.
  }, [drop.id, auth.token]);
  const opensIn = (Date.parse(drop.startsAt) - now) / 1000;
  const soldOut = drop.remaining <= 0;
  const claimed = drop.quantity > 0 ? Math.min(1, (drop.quantity - drop.remaining) / drop.quantity) : 1;
  return (
    <aside ref={element} class={soldOut ? 'drop-card drop-sold-out' : 'drop-card'} data-testid="drop-card">
      <div class="drop-info">
        <p class="drop-title">{drop.title}</p>
        <p class="drop-sku">{drop.skuName}</p>
        <p class="drop-price">
          <strong>{formatMoney(drop.price)}</strong>
          {drop.originalPrice > drop.price && <s>{formatMoney(drop.originalPrice)}</s>}
        </p>
        <div class="drop-bar" aria-hidden="true">
          <span style={{ width: `${claimed * 100}%` }} />
        </div>
        <p class="drop-left" data-testid="drop-remaining">
          {soldOut ? t('room.soldOut') : t('room.remaining', { n: drop.remaining })}
        </p>
      </div>
      {!clockSynced() ? (
        // Until this device knows the server's time, neither a countdown nor a buy button is right.
        <button class="btn btn-primary btn-buy" disabled aria-busy="true" data-testid="buy">
          {t('room.buy')}
        </button>
      ) : opensIn > 0 ? (
        <button class="btn btn-countdown" disabled data-testid="drop-countdown">
          {opensIn <= 10 ? Math.ceil(opensIn) : formatCountdown(opensIn)}
          <small>{t('room.opensIn')}</small>
        </button>
      ) : (
        <button class="btn btn-primary btn-buy" disabled={soldOut} onClick={() => onBuy(card)} data-testid="buy">
          {soldOut ? t('room.soldOut') : t('room.buy')}
        </button>
      )}
    </aside>
  );
}
