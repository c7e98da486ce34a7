// HLS playlists of a live session, cut from its publishes' own playlists. Every publish (an encoder's
// connection) writes one playlist that lists all its segments; the session's timeline is those
// segments in publish order, a discontinuity between publishes. The replay is the whole timeline, the
// live playlist its last few segments — both numbered in that one timeline, so a player that follows
// the live playlist across an encoder reconnect sees the sequence move forward, never restart.

export interface Segment {
  /** The segment's file name in its publish's directory (e.g. "12.ts"). */
  file: string;
  durationSeconds: number;
  /** EXT-X-PROGRAM-DATE-TIME, when the engine writes it. */
  programDateTime: string | null;
}

export interface PublishSegments {
  publishId: string;
  segments: Segment[];
}

const SEGMENT_FILE = /^\d{1,9}\.ts$/;

/** The segments an engine's playlist lists, in order; lines it does not know are ignored. */
export function parsePlaylist(text: string): Segment[] {
  const segments: Segment[] = [];
  let duration: number | null = null;
  let programDateTime: string | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#EXTINF:')) {
      const d = Number.parseFloat(line.slice('#EXTINF:'.length));
      duration = Number.isFinite(d) && d >= 0 ? d : null;
    } else if (line.startsWith('#EXT-X-PROGRAM-DATE-TIME:')) {
      programDateTime = line.slice('#EXT-X-PROGRAM-DATE-TIME:'.length);
    } else if (line && !line.startsWith('#')) {
      if (duration !== null && SEGMENT_FILE.test(line)) segments.push({ file: line, durationSeconds: duration, programDateTime });
      duration = null;
      programDateTime = null;
    }
  }
  return segments;
}

interface TimelineEntry {
  publishId: string;
  segment: Segment;
  /** Whether a publish boundary precedes this segment. */
  discontinuity: boolean;
}

function timeline(publishes: PublishSegments[]): TimelineEntry[] {
  const entries: TimelineEntry[] = [];
  for (const p of publishes) {
    p.segments.forEach((segment, i) => entries.push({ publishId: p.publishId, segment, discontinuity: i === 0 && entries.length > 0 }));
  }
  return entries;
}

export function totalDurationSeconds(publishes: PublishSegments[]): number {
  let total = 0;
  for (const p of publishes) for (const s of p.segments) total += s.durationSeconds;
  return Math.round(total * 1000) / 1000;
}

export function segmentCount(publishes: PublishSegments[]): number {
  return publishes.reduce((n, p) => n + p.segments.length, 0);
}

function render(entries: TimelineEntry[], header: { mediaSequence: number; discontinuitySequence: number; playlistType?: 'EVENT' | 'VOD'; ended: boolean }): string {
  // RFC 8216: every segment's duration, rounded to the nearest integer, is at most the target. Rounding (not
  // ceiling) keeps a 1.04 s segment from doubling the target, and with it how far behind a player stays.
  const target = Math.max(1, ...entries.map((e) => Math.round(e.segment.durationSeconds)));
  const lines = ['#EXTM3U', '#EXT-X-VERSION:3', `#EXT-X-TARGETDURATION:${target}`, `#EXT-X-MEDIA-SEQUENCE:${header.mediaSequence}`];
  if (header.discontinuitySequence > 0) lines.push(`#EXT-X-DISCONTINUITY-SEQUENCE:${header.discontinuitySequence}`);
  if (header.playlistType) lines.push(`#EXT-X-PLAYLIST-TYPE:${header.playlistType}`);
  for (const e of entries) {
    if (e.discontinuity) lines.push('#EXT-X-DISCONTINUITY');
    if (e.segment.programDateTime) lines.push(`#EXT-X-PROGRAM-DATE-TIME:${e.segment.programDateTime}`);
    lines.push(`#EXTINF:${e.segment.durationSeconds.toFixed(3)},`, `${e.publishId}/${e.segment.file}`);
  }
  if (header.ended) lines.push('#EXT-X-ENDLIST');
  return `${lines.join('\n')}\n`;
}

/**
 * The live playlist: the timeline's last `window` segments. Once the session has ended it carries
 * EXT-X-ENDLIST, so a player still watching finishes cleanly (RFC 8216 requires it of a finished
 * presentation) instead of polling a playlist that will never grow.
 */
export function livePlaylist(publishes: PublishSegments[], window: number, ended: boolean): string {
  const entries = timeline(publishes);
  const first = Math.max(0, entries.length - window);
  const discontinuitiesBefore = entries.slice(0, first).filter((e) => e.discontinuity).length;
  return render(entries.slice(first), { mediaSequence: first, discontinuitySequence: discontinuitiesBefore, ended });
}

/** The replay: every segment; an EVENT playlist that grows while the session is on, VOD once it ended. */
export function replayPlaylist(publishes: PublishSegments[], ended: boolean): string {
  return render(timeline(publishes), { mediaSequence: 0, discontinuitySequence: 0, playlistType: ended ? 'VOD' : 'EVENT', ended });
}

/** A moment of the session as an offset into its replay: the stream time published before it (gaps between publishes skipped). */
export function replayOffsetSeconds(at: Date, publishes: { startedAt: Date; stoppedAt: Date | null }[], now: Date, durationSeconds: number): number {
  let ms = 0;
  for (const p of publishes) {
    const end = Math.min(at.getTime(), (p.stoppedAt ?? now).getTime());
    if (end > p.startedAt.getTime()) ms += end - p.startedAt.getTime();
  }
  return Math.min(Math.round(ms / 100) / 10, durationSeconds);
}
