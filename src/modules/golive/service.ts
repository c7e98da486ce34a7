// Going live from the browser, and co-hosting (连麦). A browser (or OBS 30+, or any WHIP encoder) publishes to
// WHIP: the SDP offer is POSTed with the session's stream key as the bearer token, Janus's VideoRoom answers, and
// Janus forwards the RTP to ffmpeg, which pushes RTMP into the session's own ingest with that same key. So viewers
// get HLS, HTTP-FLV and the replay exactly as from OBS over RTMP, and rotating the key, ending the session or
// suspending the shop cuts the browser off the way it cuts OBS off (the mixer's RTMP push is dropped, and the
// stage closes when the key no longer authorizes the session).
// A co-host is invited by the host, accepts in the app, and publishes with a token made for that co-host; host and
// guest watch each other straight from Janus (a subscription: Janus offers, the browser answers); the room's
// viewers get one stream mixed by ffmpeg, side by side or picture in picture as the host chose.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Kysely } from 'kysely';
import type { Schema } from '../../adapters/db/schema.ts';
import { chooseFfmpeg } from '../../adapters/media/ffmpeg.ts';
import { findJanus, Janus, JanusError, JanusUnreachable, type PublishedStream } from '../../adapters/media/janus.ts';
import { FORWARD_PT, mixable, reserveRtpPort, releaseRtpPort, type CohostLayout, type ForwardedPerson } from '../../adapters/media/mixer.ts';
import type { IceServerConfig } from '../../config.ts';
import type { AppContext } from '../../platform/context.ts';
import { AppError, conflict, invalidRequest, invalidState, notFound } from '../../platform/errors.ts';
import { sha256Base64url } from '../../platform/hash.ts';
import { newId } from '../../platform/ids.ts';
import type { Principal } from '../accounts/service.ts';
import { findSessionByStreamKey } from '../live/service.ts';
import type { Media } from '../media/service.ts';
import { shopRole } from '../shops/access.ts';
import type { LiveCohostsTable } from './cohosts.ts';
import { RtpWatchdog, Stage, type Person, type StageRole } from './stage.ts';


type CohostDb = Kysely<Schema & { live_cohosts: LiveCohostsTable }>;

/** A co-host's publish token: ch_<43 base64url chars>; only its SHA-256 is stored. */
const COHOST_TOKEN = /^ch_[A-Za-z0-9_-]{43}$/;
/** A host whose media stops this long is taken off (a phone that lost its network without hanging up). */
const HOST_NO_MEDIA_MS = 15_000;
/** A guest whose RTP stops this long has dropped out (a browser sends audio every 20 ms, even muted). */
const GUEST_SILENCE_MS = 800;
/** How long a subscription may wait for the browser's answer. */
const SUBSCRIPTION_TTL_MS = 60_000;

export interface OnScreenPerson {
  role: StageRole;
  name: string;
  userId: string | null;
  shopId: string | null;
}

export const unauthorizedPublish = () => new AppError(401, 'invalid_stream_key', 'the bearer token is not a stream key or co-host token that may publish now');
/** The WebRTC server is down: the node's state refuses (409), as when go-live is off. */
const asUnavailable = (err: unknown) => (err instanceof JanusUnreachable ? conflict('golive_unavailable', 'the WebRTC server is not answering; try again shortly, or stream with OBS') : err);
const notPublishing = (who: string) => conflict('not_publishing', `${who} is not publishing from a browser`);

interface Subscription {
  id: string;
  handle: number;
  userId: string;
  sessionId: string;
  at: number;
}

/** Whether browser go-live runs on this node, and why not. */
export interface GoLiveStatus {
  enabled: boolean;
  reason: string | null;
  iceServers: IceServerConfig[];
}

export class GoLive {
  private janus: Janus | null = null;
  private control = 0;
  private ffmpeg = '';
  private workDir = '';
  private readonly stages = new Map<string, Stage>();
  private readonly subscriptions = new Map<string, Subscription>();
  readonly db: CohostDb;
  status: GoLiveStatus;

  private constructor(
    private readonly ctx: AppContext,
    private readonly media: Media,
  ) {
    this.db = ctx.db.withTables<{ live_cohosts: LiveCohostsTable }>();
    this.status = { enabled: false, reason: null, iceServers: ctx.config.iceServers };
  }

  /** Starts Janus (a child with a generated config, or the one at JANUS_URL) unless something it needs is missing. */
  static async open(ctx: AppContext, media: Media): Promise<GoLive> {
    const live = new GoLive(ctx, media);
    const why = await live.start().catch((err: Error) => err.message);
    if (why) {
      live.status.reason = why;
      ctx.log.warn(`browser go-live is off: ${why}`);
    } else live.status.enabled = true;
    return live;
  }

  private async start(): Promise<string | null> {
    const { config, log } = this.ctx;
    if (config.golive === 'off') return 'GOLIVE=off';
    if (!this.media.engine) return 'there is no RTMP ingest to mix into (MEDIA_ENGINE=off)';
    if (!config.janusUrl) {
      const found = findJanus(config.janusPath);
      if ('missing' in found) return found.missing;
    }
    const { ffmpeg } = await chooseFfmpeg(config.ffmpegPath, ['rtp-mix']);
    this.ffmpeg = ffmpeg.path;
    const mediaDir = resolve(config.mediaDir);
    mkdirSync(mediaDir, { recursive: true });
    this.workDir = mkdtempSync(join(mediaDir, '.mixer-'));
    this.janus = new Janus({
      url: config.janusUrl,
      apiSecret: config.janusApiSecret,
      janus: config.janusPath,
      workRoot: mediaDir,
      stun: config.janusStunServer,
      nat11: config.janusNat11,
      rtpPortRange: config.janusRtpPorts,
      log,
    });
    await this.janus.start();
    this.control = await this.janus.attach(() => {});
    this.ctx.jobs.every('golive-subscriptions', 10_000, async () => this.expireSubscriptions());
    return null;
  }

  async close(): Promise<void> {
    for (const stage of [...this.stages.values()]) await stage.serial(() => stage.close('node_stopping'));
    await this.janus?.stop();
    if (this.workDir) rmSync(this.workDir, { recursive: true, force: true });
  }

  private requireJanus(): Janus {
    // The node's state, not the caller's input, refuses: a 409 that says why (the fuzzer holds every route to no 5xx).
    if (!this.janus) throw conflict('golive_off', `browser go-live is off on this node: ${this.status.reason}`);
    return this.janus;
  }

  // ---- WHIP ---------------------------------------------------------------------------------------------------

  /** A WHIP publish: the bearer token says who (a session's stream key: its host; a co-host token: its guest). */
  async publish(token: string, offer: string): Promise<{ resourceId: string; answer: string; sessionId: string }> {
    return this.publishWith(token, offer).catch((err) => {
      throw asUnavailable(err);
    });
  }

  private async publishWith(token: string, offer: string): Promise<{ resourceId: string; answer: string; sessionId: string }> {
    const janus = this.requireJanus();
    if (!offer.startsWith('v=0')) throw invalidRequest('the body must be an SDP offer (application/sdp)');
    if (COHOST_TOKEN.test(token)) return this.publishGuest(janus, token, offer);
    const session = token.length <= 128 ? await findSessionByStreamKey(this.ctx.db, token) : undefined;
    if (!session) throw unauthorizedPublish();
    let stage = this.stages.get(session.id);
    if (stage?.host) throw conflict('already_publishing', 'the session is already being published from a browser; stop that first');
    if (this.media.engine?.publishing().some((g) => g.sessionId === session.id))
      throw conflict('already_publishing', 'an encoder is publishing this session over RTMP; stop it first');
    if (!stage || stage.closing) {
      const room = 1 + Math.floor(Math.random() * 2 ** 40);
      await janus.request(this.control, {
        request: 'create',
        room,
        admin_key: janus.adminKey,
        is_private: true,
        publishers: 3,
        // VP8 from browsers, H.264 from OBS and other WHIP encoders; ffmpeg reads both.
        videocodec: 'vp8,h264',
        audiocodec: 'opus',
        bitrate: 3_000_000,
        fir_freq: 5,
        notify_joining: false,
      });
      stage = this.newStage(session.id, session.shop_id, token, room);
    }
    const created = stage;
    const { person, answer } = await created.serial(async () => {
      if (created.host) throw conflict('already_publishing', 'the session is already being published from a browser; stop that first');
      const joined = await this.join(janus, created, 'host', offer, { userId: null, name: session.shop_name, shopId: session.shop_id, cohostId: null });
      created.host = joined.person;
      await created.remix();
      return joined;
    });
    return { resourceId: person.resourceId, answer, sessionId: session.id };
  }

  private async publishGuest(janus: Janus, token: string, offer: string) {
    const cohost = await this.db.selectFrom('live_cohosts').selectAll().where('token_hash', '=', sha256Base64url(token)).where('status', '=', 'accepted').executeTakeFirst();
    if (!cohost) throw unauthorizedPublish();
    const stage = this.stages.get(cohost.live_session_id);
    if (!stage?.host || stage.closing) {
      // Several nodes: the host's stage is on the node that took their publish; WHIP clients follow a 307 there.
      const holder = await this.media.holderOf(cohost.live_session_id);
      if (holder) throw new AppError(307, 'elsewhere', 'publish to the node the host is live on', { location: `${holder}/api/v1/whip` });
      throw conflict('host_not_live', 'the host is not live from a browser yet; join when they are');
    }
    const user = await this.db.selectFrom('users').select(['display_name', 'handle']).where('id', '=', cohost.guest_user_id).executeTakeFirstOrThrow();
    const shop = cohost.guest_shop_id ? await this.db.selectFrom('shops').select('name').where('id', '=', cohost.guest_shop_id).executeTakeFirst() : undefined;
    const { person, answer } = await stage.serial(async () => {
      if (!stage.host || stage.closing) throw conflict('host_not_live', 'the host is not live from a browser yet; join when they are');
      // A guest who publishes again (a reload, a new device) replaces their earlier publish.
      if (stage.guest) await stage.remove(stage.guest);
      stage.layout = cohost.layout;
      const joined = await this.join(janus, stage, 'guest', offer, {
        userId: cohost.guest_user_id,
        name: shop?.name ?? user.display_name ?? user.handle,
        shopId: cohost.guest_shop_id,
        cohostId: cohost.id,
      });
      stage.guest = joined.person;
      await stage.remix();
      return joined;
    });
    return { resourceId: person.resourceId, answer, sessionId: stage.sessionId };
  }

  /** Joins a publisher to the stage's room with the browser's offer and forwards its RTP to fresh ports. */
  private async join(janus: Janus, stage: Stage, role: StageRole, offer: string, who: Pick<Person, 'userId' | 'name' | 'shopId' | 'cohostId'>): Promise<{ person: Person; answer: string }> {
    const resourceId = newId('whip');
    let person: Person | null = null;
    let lastMedia = Date.now();
    const handle = await janus.attach((event) => {
      if (!person) return;
      const gone = event.janus === 'hangup' || event.janus === 'detached';
      const stalled = event.janus === 'media' && event.type === 'video' && event.receiving === false;
      if (event.janus === 'media' && event.receiving) lastMedia = Date.now();
      // A guest's silence is the watchdog's to tell (Janus's 1 s no-media report is slower, and wrong when it is busy).
      if (gone) void this.leave(stage, person, 'hung_up');
      else if (stalled && role === 'host') {
        const since = lastMedia;
        setTimeout(() => person && lastMedia === since && void this.leave(stage, person, 'media_stopped'), HOST_NO_MEDIA_MS);
      }
    });
    try {
      const event = await janus.message(handle, { request: 'joinandconfigure', room: stage.room, ptype: 'publisher', display: role, audio: true, video: true }, { type: 'offer', sdp: offer });
      const data = event.plugindata?.data ?? {};
      const streams = (data.streams as PublishedStream[] | undefined) ?? [];
      const { audio, video } = mixable(streams);
      if (!event.jsep?.sdp || (!audio && !video)) throw new AppError(400, 'unsupported_media', 'the offer has no Opus audio and no VP8, H.264 or VP9 video');
      const forwarded: ForwardedPerson = {
        audio: audio ? { port: await reserveRtpPort(), codec: audio.codec } : null,
        video: video ? { port: await reserveRtpPort(), codec: video.codec } : null,
      };
      const forwards = [
        ...(audio ? [{ mid: audio.mid, port: forwarded.audio!.port, pt: FORWARD_PT.audio }] : []),
        ...(video ? [{ mid: video.mid, port: forwarded.video!.port, pt: FORWARD_PT.video }] : []),
      ];
      // A guest's packets are also counted here: one who drops out (no goodbye) leaves the mix within a second.
      const watchdog = role === 'guest' ? await RtpWatchdog.open(GUEST_SILENCE_MS, () => person && void this.leave(stage, person, 'media_stopped')) : null;
      try {
        const watched = watchdog ? forwards.map((f) => ({ mid: f.mid, port: watchdog.port })) : [];
        await janus.request(this.control, {
          request: 'rtp_forward',
          room: stage.room,
          publisher_id: data.id,
          admin_key: janus.adminKey,
          host: '127.0.0.1',
          host_family: 'ipv4',
          streams: [...forwards, ...watched],
        });
      } catch (err) {
        for (const f of forwards) releaseRtpPort(f.port);
        watchdog?.close();
        throw err;
      }
      person = { role, resourceId, handle, publisherId: data.id as number, streams, forwarded, ...who, publishedAt: Date.now(), watchdog };
      return { person, answer: event.jsep.sdp };
    } catch (err) {
      await janus.detach(handle);
      if (err instanceof JanusError) throw new AppError(400, 'offer_refused', `the WebRTC server refused the offer: ${err.message}`);
      throw asUnavailable(err);
    }
  }

  private newStage(sessionId: string, shopId: string, streamKey: string, room: number): Stage {
    const { config } = this.ctx;
    const loopback = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
    const app = new URL(config.rtmpUrl).pathname.replace(/^\/|\/$/g, '');
    const stage = new Stage(sessionId, shopId, streamKey, room, {
      janus: this.janus!,
      ffmpeg: this.ffmpeg,
      workDir: this.workDir,
      log: this.ctx.log,
      rtmpUrl: (key) => `rtmp://${loopback}:${config.rtmpPort}/${app}/${key}`,
      ingestFree: async (id) => {
        const deadline = Date.now() + 3000;
        while (this.media.engine?.publishing().some((g) => g.sessionId === id) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      },
      stillAuthorized: async (key) => (await findSessionByStreamKey(this.ctx.db, key)) !== undefined,
      onScreenChanged: (s) => this.announce(s),
      closed: (s, reason) => {
        if (this.stages.get(s.sessionId) === s) this.stages.delete(s.sessionId);
        for (const sub of [...this.subscriptions.values()]) if (sub.sessionId === s.sessionId) void this.unsubscribe(sub);
        this.janus?.request(this.control, { request: 'destroy', room: s.room, admin_key: this.janus.adminKey }).catch(() => {});
        this.ctx.rooms.publish(s.sessionId, { type: 'on_screen', people: [], layout: null });
        this.ctx.log.info({ sessionId: s.sessionId, reason }, 'browser go-live stage closed');
      },
    });
    this.stages.set(sessionId, stage);
    return stage;
  }

  /** Someone left the stage (hung up, their media stopped, or their WHIP resource was deleted). */
  private async leave(stage: Stage, person: Person, reason: string): Promise<void> {
    await stage.serial(async () => {
      if (stage.host !== person && stage.guest !== person) return;
      this.ctx.log.info({ sessionId: stage.sessionId, role: person.role, reason }, 'a browser publisher left the stage');
      if (person.role === 'host') return stage.close(reason);
      await stage.remove(person);
      await stage.remix();
    });
    for (const sub of [...this.subscriptions.values()]) if (sub.sessionId === stage.sessionId && sub.userId === person.userId) void this.unsubscribe(sub);
  }

  /** WHIP DELETE: the resource's own token ends it. */
  async unpublish(resourceId: string, token: string): Promise<void> {
    for (const stage of this.stages.values()) {
      for (const person of stage.people()) {
        if (person.resourceId !== resourceId) continue;
        const owns = person.role === 'host' ? token === stage.streamKey : COHOST_TOKEN.test(token) && (await this.cohostTokenMatches(person.cohostId!, token));
        if (!owns) throw notFound('WHIP resource');
        await this.leave(stage, person, 'deleted');
        return;
      }
    }
    throw notFound('WHIP resource');
  }

  private async cohostTokenMatches(cohostId: string, token: string): Promise<boolean> {
    const row = await this.db.selectFrom('live_cohosts').select('id').where('id', '=', cohostId).where('token_hash', '=', sha256Base64url(token)).executeTakeFirst();
    return row !== undefined;
  }

  /** Who is on screen in the session's stream now (the room shows it). */
  onScreen(sessionId: string): { people: OnScreenPerson[]; layout: CohostLayout | null } {
    const stage = this.stages.get(sessionId);
    if (!stage?.host || stage.closing) return { people: [], layout: null };
    const people = stage.people().map((p) => ({ role: p.role, name: p.name, userId: p.userId, shopId: p.shopId }));
    return { people, layout: stage.guest ? stage.layout : null };
  }

  private announce(stage: Stage): void {
    const { people, layout } = this.onScreen(stage.sessionId);
    this.ctx.rooms.publish(stage.sessionId, { type: 'on_screen', people, layout });
  }

  // ---- Host and guest watching each other ---------------------------------------------------------------------

  /** Subscribes the caller to the other person on the stage: the host sees the guest, the guest sees the host. */
  async watchPeer(principal: Principal, sessionId: string): Promise<{ id: string; sdp: string }> {
    const stage = this.stages.get(sessionId);
    const session = await this.db.selectFrom('live_sessions').select('shop_id').where('id', '=', sessionId).executeTakeFirst();
    if (!session) throw notFound('live session');
    const isStaff = (await shopRole(this.ctx.db, principal, session.shop_id)) !== null;
    const isGuest = stage?.guest?.userId === principal.userId || (await this.openCohostOf(sessionId, principal.userId)) !== undefined;
    if (!isStaff && !isGuest) throw notFound('live session');
    const janus = this.requireJanus();
    const peer = isStaff ? stage?.guest : stage?.host;
    if (!stage || !peer) throw notPublishing(isStaff ? 'the guest' : 'the host');
    const handle = await janus.attach(() => {}).catch((err) => {
      throw asUnavailable(err);
    });
    try {
      const event = await janus.message(handle, { request: 'join', ptype: 'subscriber', room: stage.room, streams: [{ feed: peer.publisherId }] });
      if (!event.jsep?.sdp) throw new Error('Janus offered no SDP');
      const sub: Subscription = { id: newId('wsub'), handle, userId: principal.userId, sessionId, at: Date.now() };
      this.subscriptions.set(sub.id, sub);
      return { id: sub.id, sdp: event.jsep.sdp };
    } catch (err) {
      await janus.detach(handle);
      throw err instanceof JanusError ? notPublishing(isStaff ? 'the guest' : 'the host') : asUnavailable(err);
    }
  }

  async answerPeer(principal: Principal, id: string, sdp: string): Promise<void> {
    const sub = this.subscriptions.get(id);
    if (!sub || sub.userId !== principal.userId) throw notFound('subscription');
    const janus = this.requireJanus();
    if (!sdp.startsWith('v=0')) throw invalidRequest('sdp must be an SDP answer');
    try {
      await janus.message(sub.handle, { request: 'start' }, { type: 'answer', sdp });
    } catch (err) {
      if (err instanceof JanusError) throw new AppError(400, 'answer_refused', `the WebRTC server refused the answer: ${err.message}`);
      throw asUnavailable(err);
    }
  }

  async endPeer(principal: Principal, id: string): Promise<void> {
    const sub = this.subscriptions.get(id);
    if (!sub || sub.userId !== principal.userId) throw notFound('subscription');
    await this.unsubscribe(sub);
  }

  private async unsubscribe(sub: Subscription): Promise<void> {
    if (!this.subscriptions.delete(sub.id)) return;
    await this.janus?.detach(sub.handle);
  }

  private async expireSubscriptions(): Promise<void> {
    // A subscription lives while its stage does; one whose stage closed is gone already. This reaps answers never sent.
    const now = Date.now();
    for (const sub of [...this.subscriptions.values()]) if (!this.stages.has(sub.sessionId) && now - sub.at > SUBSCRIPTION_TTL_MS) await this.unsubscribe(sub);
  }

  // ---- Co-host invitations ------------------------------------------------------------------------------------

  private openCohostOf(sessionId: string, userId: string) {
    return this.db
      .selectFrom('live_cohosts')
      .selectAll()
      .where('live_session_id', '=', sessionId)
      .where('guest_user_id', '=', userId)
      .where('status', 'in', ['invited', 'accepted'])
      .executeTakeFirst();
  }

  private async staffSession(principal: Principal, sessionId: string) {
    const session = await this.db.selectFrom('live_sessions').select(['id', 'shop_id', 'status']).where('id', '=', sessionId).executeTakeFirst();
    if (!session || !(await shopRole(this.ctx.db, principal, session.shop_id))) throw notFound('live session');
    return session;
  }

  async invite(principal: Principal, sessionId: string, input: { handle: string; layout?: CohostLayout }) {
    const session = await this.staffSession(principal, sessionId);
    if (session.status === 'ended') throw invalidState('the live session has ended');
    const guest = await this.db.selectFrom('users').select(['id']).where('handle', '=', input.handle).executeTakeFirst();
    if (!guest) throw notFound('user');
    if (guest.id === principal.userId) throw invalidRequest('invite someone other than yourself');
    const id = newId('cohost');
    try {
      await this.db
        .insertInto('live_cohosts')
        .values({
          id,
          live_session_id: sessionId,
          invited_by: principal.userId,
          guest_user_id: guest.id,
          guest_shop_id: null,
          layout: input.layout ?? 'side_by_side',
          status: 'invited',
          token_hash: null,
          created_at: this.ctx.clock.now(),
          accepted_at: null,
          ended_at: null,
          end_reason: null,
        })
        .execute();
    } catch (err) {
      if ((err as { code?: string }).code === '23505') throw conflict('cohost_open', 'the session already has an open co-host invitation; end it first');
      throw err;
    }
    return this.cohostView(id);
  }

  async listForSession(principal: Principal, sessionId: string) {
    await this.staffSession(principal, sessionId);
    const rows = await this.db.selectFrom('live_cohosts').select('id').where('live_session_id', '=', sessionId).orderBy('id', 'desc').limit(20).execute();
    return Promise.all(rows.map((r) => this.cohostView(r.id)));
  }

  /** The caller's open invitations, in sessions still scheduled or live. */
  async myInvites(principal: Principal) {
    const rows = await this.db
      .selectFrom('live_cohosts as c')
      .innerJoin('live_sessions as l', 'l.id', 'c.live_session_id')
      .select('c.id')
      .where('c.guest_user_id', '=', principal.userId)
      .where('c.status', 'in', ['invited', 'accepted'])
      .where('l.status', 'in', ['scheduled', 'live'])
      .orderBy('c.id', 'desc')
      .limit(20)
      .execute();
    return Promise.all(rows.map((r) => this.cohostView(r.id)));
  }

  /** The host's staff and the guest see a co-host; anyone else is told it does not exist. */
  private async cohostFor(principal: Principal, id: string) {
    const row = await this.db
      .selectFrom('live_cohosts as c')
      .innerJoin('live_sessions as l', 'l.id', 'c.live_session_id')
      .selectAll('c')
      .select(['l.shop_id', 'l.status as session_status'])
      .where('c.id', '=', id)
      .executeTakeFirst();
    if (!row) throw notFound('co-host');
    const guest = row.guest_user_id === principal.userId;
    const staff = (await shopRole(this.ctx.db, principal, row.shop_id)) !== null;
    if (!guest && !staff) throw notFound('co-host');
    return { row, guest, staff };
  }

  async get(principal: Principal, id: string) {
    await this.cohostFor(principal, id);
    return this.cohostView(id);
  }

  /** The guest accepts; the answer carries the token they publish with (shown once; accepting again makes a new one). */
  async accept(principal: Principal, id: string, input: { shopId?: string }) {
    const { row, guest } = await this.cohostFor(principal, id);
    if (!guest) throw notFound('co-host');
    if (row.status !== 'invited' && row.status !== 'accepted') throw invalidState(`the invitation is ${row.status}`);
    if (row.session_status === 'ended') throw invalidState('the live session has ended');
    if (input.shopId) {
      const role = await shopRole(this.ctx.db, principal, input.shopId);
      if (!role || role === 'operator') throw notFound('shop');
      if (input.shopId === row.shop_id) throw invalidRequest("the host's own shop is on screen already");
    }
    const token = `ch_${randomBytes(32).toString('base64url')}`;
    await this.db
      .updateTable('live_cohosts')
      .set({ status: 'accepted', token_hash: sha256Base64url(token), accepted_at: this.ctx.clock.now(), guest_shop_id: input.shopId ?? null })
      .where('id', '=', id)
      .where('status', 'in', ['invited', 'accepted'])
      .execute();
    return { cohost: await this.cohostView(id), publish: { whipUrl: `${this.ctx.config.publicUrl}/api/v1/whip`, token } };
  }

  async decline(principal: Principal, id: string) {
    const { row, guest } = await this.cohostFor(principal, id);
    if (!guest) throw notFound('co-host');
    if (row.status !== 'invited') throw invalidState(`the invitation is ${row.status}`);
    await this.finish(id, 'declined', 'declined');
    return this.cohostView(id);
  }

  /** The host (or the guest) ends the co-host: the guest leaves the stream now, and their token stops working. */
  async end(principal: Principal, id: string) {
    const { row, staff } = await this.cohostFor(principal, id);
    if (row.status === 'declined' || row.status === 'ended') throw invalidState(`the co-host is ${row.status}`);
    await this.finish(id, 'ended', staff ? 'ended_by_host' : 'ended_by_guest');
    const stage = this.stages.get(row.live_session_id);
    const person = stage?.guest?.cohostId === id ? stage.guest : null;
    if (stage && person) await this.leave(stage, person, 'ended');
    return this.cohostView(id);
  }

  /** The host picks the layout; the mixer restarts with it when the guest is on screen. */
  async setLayout(principal: Principal, id: string, layout: CohostLayout) {
    const { row, staff } = await this.cohostFor(principal, id);
    if (!staff) throw notFound('co-host');
    if (row.status === 'declined' || row.status === 'ended') throw invalidState(`the co-host is ${row.status}`);
    await this.db.updateTable('live_cohosts').set({ layout }).where('id', '=', id).execute();
    const stage = this.stages.get(row.live_session_id);
    if (stage && stage.layout !== layout) {
      await stage.serial(async () => {
        stage.layout = layout;
        if (stage.guest?.cohostId === id) await stage.remix();
      });
    }
    return this.cohostView(id);
  }

  private async finish(id: string, status: 'declined' | 'ended', reason: string) {
    await this.db
      .updateTable('live_cohosts')
      .set({ status, ended_at: this.ctx.clock.now(), end_reason: reason, token_hash: null })
      .where('id', '=', id)
      .where('status', 'in', ['invited', 'accepted'])
      .execute();
  }

  private async cohostView(id: string) {
    const r = await this.db
      .selectFrom('live_cohosts as c')
      .innerJoin('users as u', 'u.id', 'c.guest_user_id')
      .innerJoin('live_sessions as l', 'l.id', 'c.live_session_id')
      .leftJoin('shops as s', 's.id', 'c.guest_shop_id')
      .select(['c.id', 'c.live_session_id', 'c.guest_user_id', 'c.guest_shop_id', 'c.layout', 'c.status', 'c.created_at', 'c.accepted_at', 'c.ended_at', 'c.end_reason'])
      .select(['u.handle', 'u.display_name', 's.name as shop_name', 'l.title as session_title'])
      .where('c.id', '=', id)
      .executeTakeFirstOrThrow();
    const stage = this.stages.get(r.live_session_id);
    const iso = (d: Date | null) => (d ? d.toISOString() : null);
    return {
      id: r.id,
      liveSessionId: r.live_session_id,
      sessionTitle: r.session_title,
      guest: { userId: r.guest_user_id, handle: r.handle, displayName: r.display_name, shopId: r.guest_shop_id, shopName: r.shop_name },
      layout: r.layout,
      status: r.status,
      onScreen: { host: Boolean(stage?.host && !stage.closing), guest: stage?.guest?.cohostId === r.id },
      createdAt: r.created_at.toISOString(),
      acceptedAt: iso(r.accepted_at),
      endedAt: iso(r.ended_at),
      endReason: r.end_reason,
    };
  }
}

