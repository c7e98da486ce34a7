// Helpers for the WebRTC tests: a fake camera of one colour for Chromium, and what the HLS viewers get (the size and
// the colours left and right of the newest segment's first picture, read by ffmpeg).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, waitFor } from './harness.ts';

const TMP = join(ROOT, '.tmp');

/** Chromium's flags for WebRTC tests: a fake camera and microphone, allowed without asking, local addresses not hidden. */
export const WEBRTC_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  '--autoplay-policy=no-user-gesture-required',
];

/** A 640x360 y4m of one colour with a square moving across it (frames advance), made once per colour. */
export function fakeCamera(colour: 'red' | 'blue' | 'green'): string {
  const file = join(TMP, `fake-camera-${colour}.y4m`);
  if (existsSync(file)) return file;
  mkdirSync(TMP, { recursive: true });
  const building = `${file}.${process.pid}.y4m`;
  execFileSync('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `color=c=${colour}:s=640x360:r=30`,
    '-f', 'lavfi', '-i', 'color=c=white:s=40x40:r=30',
    '-filter_complex', "[0][1]overlay=x='mod(t*200,600)':y=10",
    '-t', '2', '-pix_fmt', 'yuv420p', building,
  ]);
  execFileSync('mv', [building, file]);
  return file;
}

export type Colour = 'red' | 'blue' | 'green' | 'black' | 'other';

/** The colour a pixel is closest to, of the fake cameras' (or black). */
export function colourOf([r, g, b]: readonly number[]): Colour {
  const max = Math.max(r, g, b);
  if (max < 50) return 'black';
  const others = (c: number) => [r, g, b].filter((x) => x !== c);
  const dominant = (c: number) => c === max && others(c).every((x) => x < 0.6 * max);
  if (dominant(r)) return 'red';
  if (dominant(b)) return 'blue';
  if (dominant(g)) return 'green';
  return 'other';
}

export interface HlsPicture {
  width: number;
  height: number;
  /** The colour in the middle of the left and of the right half of the picture. */
  left: Colour;
  right: Colour;
}

/**
 * The newest segment of a live HLS playlist once it lists `min` segments: its picture's size and colours. A segment
 * that cannot be read yet (not served yet, no picture in it) is tried again, as a player would, until `timeoutMs`.
 */
export async function hlsPicture(playlistUrl: string, min: number, timeoutMs: number): Promise<HlsPicture> {
  return waitFor(
    `a picture from ${min}+ HLS segments`,
    async () => {
      const r = await fetch(playlistUrl);
      if (!r.ok) return null;
      const uris = (await r.text()).split('\n').filter((l) => l && !l.startsWith('#'));
      if (uris.length < min) return null;
      const segment = await fetch(new URL(uris.at(-1)!, playlistUrl));
      if (!segment.ok) return null;
      const dir = mkdtempSync(join(TMP, 'hls-picture-'));
      try {
        const file = join(dir, 'segment.ts');
        writeFileSync(file, Buffer.from(await segment.arrayBuffer()));
        const probe = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height', '-of', 'json', file], { encoding: 'utf8' }));
        const stream = probe.streams?.[0] as { width?: number; height?: number } | undefined;
        if (!stream?.width || !stream.height) return null;
        // The middle rows, squeezed to two pixels: the left half's colour and the right half's.
        const rgb = execFileSync('ffmpeg', ['-v', 'error', '-i', file, '-frames:v', '1', '-vf', 'crop=iw:8:0:ih/2-4,format=rgb24,scale=2:1:flags=area', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-']);
        if (rgb.length < 6) return null;
        return { width: stream.width, height: stream.height, left: colourOf([rgb[0], rgb[1], rgb[2]]), right: colourOf([rgb[3], rgb[4], rgb[5]]) };
      } catch {
        return null; // ffprobe or ffmpeg could not read it (yet)
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    timeoutMs,
  );
}
