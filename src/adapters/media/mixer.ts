// The co-host mixer: ffmpeg reads the RTP that Janus forwards for the people on screen (one SDP describing every
// forwarded stream, so all of them start together at ffmpeg's first packet), composes them (the host alone; side by
// side; or the guest in a picture-in-picture tile), encodes H.264/AAC and pushes RTMP into the session's own ingest
// with its stream key. From there it is any other publish: HLS, HTTP-FLV, replays, key rotation and cut-off apply.
import { createSocket } from 'node:dgram';
import type { PublishedStream } from './janus.ts';

export type CohostLayout = 'side_by_side' | 'picture_in_picture';

/** Where one person's forwarded RTP arrives: an even port per stream (ffmpeg reads RTCP on port + 1). */
export interface ForwardedPerson {
  audio: { port: number; codec: string } | null;
  video: { port: number; codec: string } | null;
}

/** The output frame height; widths follow (side by side is 1280x720, the host alone keeps its aspect). */
const HEIGHT = 720;
const FPS = 30;

const VIDEO_PT = 96;
const AUDIO_PT = 111;

const RTP_VIDEO: Record<string, string> = { vp8: 'VP8/90000', h264: 'H264/90000', vp9: 'VP9/90000' };

/** Codecs the mixer reads: what the room lets publishers send. */
export const MIXER_VIDEO_CODECS = Object.keys(RTP_VIDEO);

/** The SDP ffmpeg reads: each person's audio then video, in order. */
export function mixerSdp(people: ForwardedPerson[]): string {
  const lines = ['v=0', 'o=- 0 0 IN IP4 127.0.0.1', 's=hawker-mixer', 'c=IN IP4 127.0.0.1', 't=0 0'];
  for (const person of people) {
    if (person.audio) lines.push(`m=audio ${person.audio.port} RTP/AVP ${AUDIO_PT}`, `a=rtpmap:${AUDIO_PT} opus/48000/2`);
    if (person.video) {
      lines.push(`m=video ${person.video.port} RTP/AVP ${VIDEO_PT}`, `a=rtpmap:${VIDEO_PT} ${RTP_VIDEO[person.video.codec] ?? RTP_VIDEO.vp8}`);
      if (person.video.codec === 'h264') lines.push(`a=fmtp:${VIDEO_PT} packetization-mode=1`);
    }
  }
  return lines.join('\r\n') + '\r\n';
}

/** The payload types Janus rewrites the forwarded RTP to, matching the SDP. */
export const FORWARD_PT = { audio: AUDIO_PT, video: VIDEO_PT };

/**
 * ffmpeg's arguments: read the SDP at `sdpFile`, compose, push to `rtmpUrl`. Stream indexes follow `mixerSdp`.
 * The first person is the host; a guest without video is heard, not shown.
 */
export function mixerArgs(sdpFile: string, people: ForwardedPerson[], layout: CohostLayout, rtmpUrl: string): string[] {
  let index = 0;
  const inputs = people.map((p) => ({ audio: p.audio ? index++ : null, video: p.video ? index++ : null }));
  const filters: string[] = [];
  const withVideo = inputs.filter((i) => i.video !== null);
  let videoOut: string | null = null;
  if (withVideo.length === 1) {
    filters.push(`[0:${withVideo[0].video}]scale=-2:'min(${HEIGHT},ih)',fps=${FPS},format=yuv420p[v]`);
    videoOut = '[v]';
  } else if (withVideo.length >= 2) {
    const [host, guest] = withVideo;
    if (layout === 'side_by_side') {
      const tile = (i: number, name: string) =>
        `[0:${i}]scale=640:${HEIGHT}:force_original_aspect_ratio=decrease,pad=640:${HEIGHT}:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=${FPS}[${name}]`;
      filters.push(tile(host.video!, 'h'), tile(guest.video!, 'g'), '[h][g]hstack=inputs=2,format=yuv420p[v]');
    } else {
      filters.push(
        `[0:${host.video}]scale=1280:${HEIGHT}:force_original_aspect_ratio=decrease,pad=1280:${HEIGHT}:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=${FPS}[h]`,
        `[0:${guest.video}]scale=360:-2,setsar=1,fps=${FPS}[g]`,
        '[h][g]overlay=W-w-24:H-h-24:eof_action=pass,format=yuv420p[v]',
      );
    }
    videoOut = '[v]';
  }
  const withAudio = inputs.filter((i) => i.audio !== null);
  let audioOut: string | null = null;
  if (withAudio.length === 1) audioOut = `0:${withAudio[0].audio}`;
  else if (withAudio.length > 1) {
    filters.push(`${withAudio.map((i) => `[0:${i.audio}]`).join('')}amix=inputs=${withAudio.length}:duration=longest:dropout_transition=0:normalize=0[a]`);
    audioOut = '[a]';
  }
  return [
    '-hide_banner',
    '-loglevel',
    'error',
    '-protocol_whitelist',
    'file,udp,rtp',
    // Start at the first packets, not after seconds of probing; take frames as they come.
    '-fflags',
    '+nobuffer+genpts',
    '-flags',
    'low_delay',
    '-probesize',
    '200000',
    '-analyzeduration',
    '500000',
    '-reorder_queue_size',
    '64',
    '-i',
    sdpFile,
    ...(filters.length ? ['-filter_complex', filters.join(';')] : []),
    ...(videoOut ? ['-map', videoOut] : []),
    ...(audioOut ? ['-map', audioOut] : []),
    ...(videoOut
      ? ['-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-profile:v', 'main', '-g', String(FPS), '-keyint_min', String(FPS), '-sc_threshold', '0', '-b:v', '2500k', '-maxrate', '2500k', '-bufsize', '2500k']
      : []),
    ...(audioOut ? ['-c:a', 'aac', '-b:a', '128k', '-ar', '44100', '-ac', '2'] : []),
    '-f',
    'flv',
    rtmpUrl,
  ];
}

const reserved = new Set<number>();

/** Reserves an even UDP port whose odd neighbour is free too (RTP and RTCP), on loopback. */
export async function reserveRtpPort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const socket = createSocket('udp4');
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => {
        const p = socket.address().port;
        socket.close(() => resolve(p));
      });
    });
    const even = port - (port % 2);
    if (even < 1024 || reserved.has(even)) continue;
    if ((await udpFree(even)) && (await udpFree(even + 1))) {
      reserved.add(even);
      return even;
    }
  }
  throw new Error('no free UDP port pair for RTP');
}

export function releaseRtpPort(port: number): void {
  reserved.delete(port);
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.once('error', () => resolve(false));
    socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
  });
}

/** The streams of a publish the mixer can take: its first audio and first video. */
export function mixable(streams: PublishedStream[]): { audio: PublishedStream | null; video: PublishedStream | null } {
  return {
    audio: streams.find((s) => s.type === 'audio' && s.codec === 'opus') ?? null,
    video: streams.find((s) => s.type === 'video' && MIXER_VIDEO_CODECS.includes(s.codec)) ?? null,
  };
}
