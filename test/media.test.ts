// Live video through the default, in-process engine (node-media-server + ffmpeg): nothing to install.
// Also the playlist arithmetic both engines share.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { livePlaylist, parsePlaylist, replayOffsetSeconds, replayPlaylist, type PublishSegments } from '../src/modules/media/playlist.ts';
import { mediaSuite } from './support/media.ts';

mediaSuite('builtin');

describe('session playlists', () => {
  const seg = (n: number, d = 1) => ({ file: `${n}.ts`, durationSeconds: d, programDateTime: null });
  const two: PublishSegments[] = [
    { publishId: 'pub_a', segments: [seg(0), seg(1), seg(2)] },
    { publishId: 'pub_b', segments: [seg(0), seg(1, 1.04), seg(2)] },
  ];

  it('reads the segments of ffmpeg 4 and 5 and nginx playlists, in either tag order', () => {
    const ffmpeg5 = '#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-TARGETDURATION:1\n#EXT-X-PROGRAM-DATE-TIME:2030-01-01T00:00:00.000+0000\n#EXTINF:1.000000,\n0.ts\n#EXTINF:0.960000,\n1.ts\n';
    const ffmpeg4 = '#EXTM3U\n#EXTINF:1.000000,\n#EXT-X-PROGRAM-DATE-TIME:2030-01-01T00:00:00.000+0000\n0.ts\n#EXT-X-ENDLIST';
    const nginx = '#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-DISCONTINUITY\n#EXTINF:1.000,\n0.ts\n#EXTINF:1.000,\n1.ts\n';
    assert.deepEqual(parsePlaylist(ffmpeg5), [
      { file: '0.ts', durationSeconds: 1, programDateTime: '2030-01-01T00:00:00.000+0000' },
      { file: '1.ts', durationSeconds: 0.96, programDateTime: null },
    ]);
    assert.equal(parsePlaylist(ffmpeg4)[0].programDateTime, '2030-01-01T00:00:00.000+0000');
    assert.deepEqual(parsePlaylist(nginx).map((s) => s.file), ['0.ts', '1.ts']);
    assert.deepEqual(parsePlaylist('#EXTINF:1,\n../../etc/passwd\n#EXTINF:1,\n/abs.ts\n'), [], 'only plain segment names are taken');
  });

  it('numbers the live window in the session timeline, across an encoder reconnect', () => {
    const live = livePlaylist(two, 4, false);
    assert.match(live, /#EXT-X-MEDIA-SEQUENCE:2\n/);
    assert.doesNotMatch(live, /DISCONTINUITY-SEQUENCE/, 'no boundary left the window yet');
    assert.deepEqual(live.split('\n').filter((l) => l && !l.startsWith('#')), ['pub_a/2.ts', 'pub_b/0.ts', 'pub_b/1.ts', 'pub_b/2.ts']);
    assert.match(live, /pub_a\/2\.ts\n#EXT-X-DISCONTINUITY\n#EXTINF:1\.000,\npub_b\/0\.ts/);
    assert.match(live, /#EXT-X-TARGETDURATION:1\n/, 'a 1.04 s segment rounds to a 1 s target');
    assert.doesNotMatch(live, /ENDLIST/);

    const later = livePlaylist(two, 2, false);
    assert.match(later, /#EXT-X-MEDIA-SEQUENCE:4\n#EXT-X-DISCONTINUITY-SEQUENCE:1\n/, 'the boundary that left the window is counted');
    assert.doesNotMatch(later, /#EXT-X-DISCONTINUITY\n/);
    assert.match(livePlaylist(two, 2, true), /#EXT-X-ENDLIST\n$/);
  });

  it('lists every segment in the replay: an EVENT playlist while live, VOD once ended', () => {
    const event = replayPlaylist(two, false);
    assert.match(event, /#EXT-X-PLAYLIST-TYPE:EVENT\n/);
    assert.doesNotMatch(event, /ENDLIST/);
    const vod = replayPlaylist(two, true);
    assert.match(vod, /#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n/);
    assert.equal(vod.split('\n').filter((l) => l && !l.startsWith('#')).length, 6);
    assert.equal((vod.match(/#EXT-X-DISCONTINUITY\n/g) ?? []).length, 1);
    assert.match(vod, /#EXT-X-ENDLIST\n$/);
  });

  it('places a moment in the replay by the stream time before it, skipping the gaps between publishes', () => {
    const t = (s: number) => new Date(Date.UTC(2030, 0, 1, 20, 0, s));
    const publishes = [
      { startedAt: t(0), stoppedAt: t(10) },
      { startedAt: t(30), stoppedAt: null },
    ];
    const now = t(50);
    assert.equal(replayOffsetSeconds(t(4), publishes, now, 30), 4);
    assert.equal(replayOffsetSeconds(t(20), publishes, now, 30), 10, 'a pin between publishes is where the next one starts');
    assert.equal(replayOffsetSeconds(t(35), publishes, now, 30), 15);
    assert.equal(replayOffsetSeconds(t(-5), publishes, now, 30), 0, 'pinned before the stream: the start');
    assert.equal(replayOffsetSeconds(t(80), publishes, now, 30), 30, 'never past the end');
  });
});
