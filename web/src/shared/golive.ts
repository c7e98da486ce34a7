// Going live from the browser: the camera and microphone, a WHIP publish (RFC 9725) of them, and watching the other
// person on the stage (host ↔ co-host guest) over WebRTC. The server takes no trickle ICE: every candidate goes in
// the first offer or answer, so each side waits for ICE gathering (at most a couple of seconds) before sending.
import { api, ApiError, post } from './api.ts';
import type { GoLiveConfig } from './types.ts';

export type Facing = 'user' | 'environment';

/** How long to wait for ICE gathering before sending what has been gathered so far. */
const GATHER_CAP_MS = 2000;

/** Whether this node takes browser go-live, and the ICE servers (GET /golive). */
export const goLiveConfig = (signal?: AbortSignal) => api<GoLiveConfig>('GET', '/golive', { signal });

const videoConstraints = (facing: Facing): MediaTrackConstraints => ({ facingMode: facing, width: { ideal: 1280 }, height: { ideal: 720 } });

/** The camera (front or back) and the microphone. Throws the browser's DOMException when refused or missing. */
export function openCamera(facing: Facing): Promise<MediaStream> {
  if (!navigator.mediaDevices?.getUserMedia) return Promise.reject(new DOMException('getUserMedia is not available', 'SecurityError'));
  return navigator.mediaDevices.getUserMedia({ audio: true, video: videoConstraints(facing) });
}

/**
 * The other camera: a new stream with the same microphone track and the new video track, which replaces the old
 * one on `pc`'s sender while publishing (no renegotiation). Phones that open one camera at a time get the old one
 * closed first.
 */
export async function switchCamera(stream: MediaStream, facing: Facing, pc: RTCPeerConnection | null): Promise<MediaStream> {
  const old = stream.getVideoTracks()[0];
  let fresh: MediaStream;
  try {
    fresh = await navigator.mediaDevices.getUserMedia({ video: videoConstraints(facing) });
  } catch (err) {
    if (!old || old.readyState === 'ended') throw err;
    old.stop();
    fresh = await navigator.mediaDevices.getUserMedia({ video: videoConstraints(facing) });
  }
  const track = fresh.getVideoTracks()[0];
  const sender = pc?.getSenders().find((s) => s.track?.kind === 'video');
  await sender?.replaceTrack(track);
  old?.stop();
  return new MediaStream([...stream.getAudioTracks(), track]);
}

/** Mutes or unmutes the microphone (the track keeps sending silence, so the stream stays up). */
export function setMicMuted(stream: MediaStream, muted: boolean): void {
  for (const track of stream.getAudioTracks()) track.enabled = !muted;
}

export function stopTracks(stream: MediaStream | null): void {
  for (const track of stream?.getTracks() ?? []) track.stop();
}

/** Resolves once ICE gathering is complete, or after `capMs` with what was gathered by then. */
function iceGathered(pc: RTCPeerConnection, capMs = GATHER_CAP_MS): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      pc.removeEventListener('icegatheringstatechange', onState);
      pc.removeEventListener('icecandidate', onCandidate);
      resolve();
    };
    const onState = () => pc.iceGatheringState === 'complete' && done();
    const onCandidate = (e: RTCPeerConnectionIceEvent) => e.candidate === null && done();
    const timer = setTimeout(done, capMs);
    pc.addEventListener('icegatheringstatechange', onState);
    pc.addEventListener('icecandidate', onCandidate);
  });
}

/**
 * The app talks to the node that served it: a WHIP URL naming another host for it (PUBLIC_URL says localhost, the
 * page was opened at 127.0.0.1) is taken on this origin, since the WHIP endpoint answers no cross-origin requests.
 */
function onThisOrigin(url: string): string {
  const parsed = new URL(url, location.href);
  return parsed.origin === location.origin ? parsed.href : `${location.origin}${parsed.pathname}${parsed.search}`;
}

/** A failed WHIP request as an ApiError, from the API's JSON error when there is one. */
function whipError(res: Response, text: string): ApiError {
  let error: { code?: string; message?: string } | undefined;
  try {
    error = JSON.parse(text)?.error;
  } catch {
    // not JSON: a proxy's error page
  }
  return new ApiError(res.status, error?.code ?? `http_${res.status}`, error?.message ?? res.statusText);
}

async function whipFetch(url: string, init: RequestInit): Promise<{ res: Response; text: string }> {
  try {
    const res = await fetch(url, init);
    return { res, text: await res.text() };
  } catch {
    throw new ApiError(0, 'network', 'the network is unavailable');
  }
}

export interface Publication {
  pc: RTCPeerConnection;
  /** Deletes the WHIP resource (the server takes the publisher off the stage), then closes the connection. */
  stop(): Promise<void>;
  /** Closes the connection only: for a publish the server has ended already (its DELETE would find nothing). */
  close(): void;
}

/** Publishes `stream` over WHIP with `token` (the session's stream key, or a co-host token) as the bearer token. */
export async function whipPublish(stream: MediaStream, whipUrl: string, token: string, iceServers: RTCIceServer[]): Promise<Publication> {
  const pc = new RTCPeerConnection({ iceServers });
  try {
    for (const track of stream.getTracks()) pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
    await pc.setLocalDescription(await pc.createOffer());
    await iceGathered(pc);
    const { res, text } = await whipFetch(onThisOrigin(whipUrl), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/sdp' },
      body: pc.localDescription!.sdp,
    });
    if (res.status !== 201) throw whipError(res, text);
    const location = res.headers.get('location');
    // Relative to where the offer went in the end (a node that holds the session may have redirected it).
    const resource = location ? onThisOrigin(new URL(location, res.url).href) : null;
    const publication = released(pc, resource, token);
    try {
      await pc.setRemoteDescription({ type: 'answer', sdp: text });
    } catch (err) {
      await publication.stop();
      throw err;
    }
    return publication;
  } catch (err) {
    pc.close();
    throw err;
  }
}

function released(pc: RTCPeerConnection, resource: string | null, token: string): Publication {
  let done = false;
  return {
    pc,
    async stop() {
      if (done) return;
      done = true;
      // The DELETE first: closing first would hang up, and the server could drop the resource before the DELETE came.
      if (resource) await whipFetch(resource, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } }).catch(() => {});
      pc.close();
    },
    close() {
      done = true;
      pc.close();
    },
  };
}

export interface PeerWatch {
  pc: RTCPeerConnection;
  /** The other person's audio and video, as they arrive. */
  stream: MediaStream;
  /** Ends the subscription on the server, and closes the connection. */
  stop(): Promise<void>;
  /** Closes the connection only: for a subscription the server has dropped already. */
  close(): void;
}

/**
 * Watches the other person on the session's stage (the host sees the guest, the guest sees the host): the server
 * offers, this browser answers, receive only. A 409 `not_publishing` means they are not on the stage yet.
 */
export async function watchPeer(sessionId: string, iceServers: RTCIceServer[]): Promise<PeerWatch> {
  const { subscription } = await post<{ subscription: { id: string; sdp: string } }>(`/live-sessions/${encodeURIComponent(sessionId)}/peer`);
  const path = `/peer-subscriptions/${encodeURIComponent(subscription.id)}`;
  const pc = new RTCPeerConnection({ iceServers });
  const stream = new MediaStream();
  pc.addEventListener('track', (e) => stream.addTrack(e.track));
  let done = false;
  const watch: PeerWatch = {
    pc,
    stream,
    async stop() {
      if (done) return;
      done = true;
      pc.close();
      await api('DELETE', path).catch(() => {});
    },
    close() {
      done = true;
      pc.close();
    },
  };
  try {
    await pc.setRemoteDescription({ type: 'offer', sdp: subscription.sdp });
    for (const transceiver of pc.getTransceivers()) transceiver.direction = 'recvonly';
    await pc.setLocalDescription(await pc.createAnswer());
    await iceGathered(pc);
    await post(`${path}/answer`, { sdp: pc.localDescription!.sdp });
    return watch;
  } catch (err) {
    await watch.stop();
    throw err;
  }
}

/** The other person is not on the stage (yet): worth asking again in a moment, not an error to show. */
export const isNotPublishing = (err: unknown) => err instanceof ApiError && err.status === 409 && err.code === 'not_publishing';
