// The short-video rules with no I/O: which probed sources are accepted (and the reason for those that are not),
// topics, aspect ratios, backoff, and the ladder's command line.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ladderArgs, type Probe } from '../src/adapters/media/transcode.ts';
import { aspectRatio, backoffSeconds, judgeSource, MAX_TOPICS, topicsOf } from '../src/modules/videos/rules.ts';

const MB = 1024 * 1024;
const clip = (over: { duration?: string; width?: number; height?: number; format?: string; rotation?: number; fps?: string; audio?: boolean } = {}): Probe => ({
  format: { format_name: over.format ?? 'mov,mp4,m4a,3gp,3g2,mj2', duration: over.duration ?? '15.0' },
  streams: [
    { codec_type: 'video', codec_name: 'h264', width: over.width ?? 1080, height: over.height ?? 1920, avg_frame_rate: over.fps ?? '30/1', side_data_list: over.rotation === undefined ? undefined : [{ rotation: over.rotation }] },
    ...(over.audio === false ? [] : [{ codec_type: 'audio', codec_name: 'aac' }]),
  ],
});

describe('judging a source', () => {
  it('accepts a phone clip, with its duration, frame and sound', () => {
    assert.deepEqual(judgeSource(clip(), 20 * MB, 500 * MB), { accepted: { durationMs: 15000, width: 1080, height: 1920, hasAudio: true, fps: null } });
  });

  it('refuses with the reason a creator reads', () => {
    const refused = (p: Probe, size = MB) => {
      const v = judgeSource(p, size, 500 * MB);
      return 'refused' in v ? v.refused : null;
    };
    assert.equal(refused(clip(), 501 * MB), 'the file is too big: 501 MB, at most 500 MB');
    assert.equal(refused(clip({ duration: '2.4' })), 'the video is too short: 2.4 s, at least 3 s');
    assert.equal(refused(clip({ duration: '181' })), 'the video is too long: 181 s, at most 180 s');
    assert.equal(refused(clip({ format: 'png_pipe' })), 'this is a picture, not a video');
    assert.equal(refused(clip({ width: 8192, height: 4320 })), 'the picture is too big: 8192×4320, at most 4096 on its long side');
    assert.equal(refused(clip({ duration: 'N/A' })), 'the file does not say how long it is: it may be cut short or damaged');
    assert.equal(refused({ format: { format_name: 'mp3', duration: '30' }, streams: [{ codec_type: 'audio' }, { codec_type: 'video', width: 500, height: 500, disposition: { attached_pic: 1 } }] }), 'the file has no video stream');
  });

  it('turns a phone’s rotated recording upright and caps high frame rates', () => {
    const v = judgeSource(clip({ width: 1920, height: 1080, rotation: -90, fps: '60000/1001' }), MB, 500 * MB);
    assert.ok('accepted' in v);
    assert.deepEqual([v.accepted.width, v.accepted.height], [1080, 1920]);
    assert.ok(Math.abs(v.accepted.fps! - 59.94) < 0.01);
    assert.equal((judgeSource(clip({ audio: false }), MB, 500 * MB) as { accepted: { hasAudio: boolean } }).accepted.hasAudio, false);
  });
});

describe('topics', () => {
  it('come from the list and from #tags in the text, folded, once each', () => {
    assert.deepEqual(topicsOf(['#Tea', ' ＃早茶 '], '明前 #绿茶，#tea 与 #ＴＥＡ', '#泡茶教程!'), ['tea', '早茶', '绿茶', '泡茶教程']);
  });

  it('are never more than the limit, never repeated, never empty, never with a "#"', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 12, unit: 'binary' }), { maxLength: 20 }), fc.string({ maxLength: 200, unit: 'binary' }), (listed, text) => {
        const topics = topicsOf(listed, text);
        assert.ok(topics.length <= MAX_TOPICS);
        assert.equal(new Set(topics).size, topics.length);
        assert.ok(topics.every((t) => t.length > 0 && !t.startsWith('#') && t === t.toLowerCase()));
      }),
    );
  });
});

describe('aspect ratio, backoff and the ladder', () => {
  it('names common frames', () => {
    assert.equal(aspectRatio(1080, 1920), '9:16');
    assert.equal(aspectRatio(1920, 1080), '16:9');
    assert.equal(aspectRatio(720, 1280), '9:16');
    assert.equal(aspectRatio(1080, 1350), '4:5');
    assert.equal(aspectRatio(478, 850), '9:16', 'within 2 % of 9:16');
  });

  it('waits longer after each failed attempt', () => {
    assert.deepEqual([1, 2, 3].map(backoffSeconds), [10, 40, 160]);
  });

  it('puts a keyframe at every 2 s segment boundary in both renditions, and a silent track under a clip without sound', () => {
    const args = ladderArgs({ source: 'in.mp4', outDir: 'out', preset: 'veryfast', hasAudio: false, maxFps: 30 }).join(' ');
    assert.match(args, /-force_key_frames expr:gte\(t,n_forced\*2\) -sc_threshold 0/);
    assert.match(args, /-hls_time 2 /);
    assert.match(args, /-var_stream_map v:0,a:0,name:720p v:1,a:1,name:360p/);
    assert.match(args, /anullsrc/);
    assert.match(args, /\[0:v\]fps=30,split=2/);
    assert.match(args, /pad=720:1280/);
  });
});
