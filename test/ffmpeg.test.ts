// Which ffmpeg a node runs: one that answers `-version` and is new enough for what the engine asks of it.
// Fake ffmpegs (shell scripts printing a banner, or failing) on a temporary PATH stand in for installs.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chooseFfmpeg, parseFfmpegVersion } from '../src/adapters/media/ffmpeg.ts';
import { ConfigError } from '../src/config.ts';
import { freePort, spawnNode } from './support/harness.ts';

const banner = (version: string, lavf: number) =>
  `ffmpeg version ${version} Copyright (c) 2000-2024 the FFmpeg developers\nbuilt with gcc 12\nlibavutil      ${lavf - 2}.  1.100\nlibavformat    ${lavf}.  3.100 / ${lavf}.  3.100\n`;

/** The static 2018 build @ffmpeg-installer ships for linux-x64 (a dependency, so it is there). */
const BUNDLED = (createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg') as { path: string }).path;

let root: string;
const savedPath = process.env.PATH;

/** A directory holding one `ffmpeg` that prints `banner` for -version, or fails with `exitCode` (shell builtins only: PATH is that directory). */
function fakeFfmpeg(name: string, behaviour: { banner: string } | { exitCode: number }): string {
  const dir = join(root, name);
  mkdirSync(dir);
  const body =
    'banner' in behaviour
      ? `[ "$1" = "-version" ] || exit 64\nprintf '%s' '${behaviour.banner}'\n`
      : `echo "error while loading shared libraries: libavdevice.so.59" >&2\nexit ${behaviour.exitCode}\n`;
  writeFileSync(join(dir, 'ffmpeg'), `#!/bin/sh\n${body}`);
  chmodSync(join(dir, 'ffmpeg'), 0o755);
  return join(dir, 'ffmpeg');
}

describe('the ffmpeg a node chooses', () => {
  let v6: string;
  let v44: string;
  let broken: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'hawker-ffmpeg-'));
    v6 = fakeFfmpeg('v6', { banner: banner('6.1.1', 60) });
    v44 = fakeFfmpeg('v44', { banner: banner('4.4.2-0ubuntu0.22.04.1', 58) });
    broken = fakeFfmpeg('broken', { exitCode: 127 });
  });
  after(() => {
    process.env.PATH = savedPath;
    rmSync(root, { recursive: true, force: true });
  });
  const onPath = (ffmpeg: string) => (process.env.PATH = join(ffmpeg, '..'));

  it('reads the release line from the version, or from libavformat for a snapshot build', () => {
    assert.deepEqual(parseFfmpegVersion(banner('5.1.9-0+deb12u1', 59)), { version: '5.1.9-0+deb12u1', release: 5 });
    assert.deepEqual(parseFfmpegVersion(banner('n7.1', 61)), { version: 'n7.1', release: 7 });
    assert.deepEqual(parseFfmpegVersion(banner('N-47683-g0e8eb07980-static', 58)), { version: 'N-47683-g0e8eb07980-static', release: 4 });
    assert.deepEqual(parseFfmpegVersion(banner('2024-03-07-git-97beb63a66-full_build-www.gyan.dev', 61)), { version: '2024-03-07-git-97beb63a66-full_build-www.gyan.dev', release: 7 });
    assert.equal(parseFfmpegVersion('Usage: ffmpeg [options]\n'), null);
    assert.equal(parseFfmpegVersion('ffmpeg version N-1-gabc\n'), null, 'a snapshot without libavformat says no release');
  });

  it('takes the ffmpeg on PATH once it has answered -version and is new enough', async () => {
    onPath(v6);
    const { ffmpeg, why } = await chooseFfmpeg(null, ['flv-pull']);
    assert.equal(ffmpeg.path, v6);
    assert.equal(ffmpeg.source, 'PATH');
    assert.equal(ffmpeg.release, 6);
    assert.match(why, /first on PATH/);
    assert.equal(ffmpeg.whyNot('hls-remux'), null);
  });

  it('passes over an ffmpeg on PATH that does not run, and says so', async () => {
    onPath(broken);
    const { ffmpeg, why } = await chooseFfmpeg(null, ['hls-remux']);
    assert.equal(ffmpeg.path, BUNDLED);
    assert.equal(ffmpeg.release, 4);
    assert.match(why, /bundled/);
    assert.match(why, /broken\/ffmpeg: -version failed: error while loading shared libraries/);
  });

  it('refuses FLV from nginx when the only ffmpegs are 4.x, naming each and the release it needs', async () => {
    onPath(v44);
    const error = await chooseFfmpeg(null, ['flv-pull']).then(
      () => assert.fail('a 4.x ffmpeg was chosen for the FLV puller'),
      (err: unknown) => err,
    );
    assert.ok(error instanceof ConfigError);
    assert.match(error.message, /HTTP-FLV playback pulled from nginx/);
    assert.match(error.message, /v44\/ffmpeg: .*is release 4/);
    assert.match(error.message, new RegExp(`${BUNDLED.replace(/[.+]/g, '\\$&')}.*is release 4`));
    assert.match(error.message, /install ffmpeg 5 or newer, or set FFMPEG_PATH/);
    // The same 4.x remuxes HLS well enough.
    assert.equal((await chooseFfmpeg(null, ['hls-remux'])).ffmpeg.path, v44);
  });

  it('takes FFMPEG_PATH over PATH when it works, and stops on it when it does not', async () => {
    onPath(v44);
    const { ffmpeg, why } = await chooseFfmpeg(v6, ['flv-pull']);
    assert.equal(ffmpeg.path, v6);
    assert.match(why, /set by FFMPEG_PATH/);

    onPath(v6);
    await assert.rejects(chooseFfmpeg(broken, ['hls-remux']), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /FFMPEG_PATH .*broken\/ffmpeg: -version failed/);
      assert.match(err.message, /fix or unset FFMPEG_PATH/);
      return true;
    });
    await assert.rejects(chooseFfmpeg(join(root, 'nowhere', 'ffmpeg'), ['hls-remux']), /ENOENT/);
    await assert.rejects(chooseFfmpeg(v44, ['flv-pull']), /needs ffmpeg 5 or newer/);
  });

  it('a node whose FFMPEG_PATH is broken does not start, and says why in one line', async () => {
    process.env.PATH = savedPath;
    await assert.rejects(spawnNode({ MEDIA_ENGINE: 'builtin', RTMP_PORT: String(await freePort()), FFMPEG_PATH: broken }), (err: Error) => {
      assert.match(err.message, /exited with 2: configuration error: no usable ffmpeg for remuxing RTMP into HLS \(MEDIA_ENGINE=builtin\): FFMPEG_PATH .*broken\/ffmpeg/);
      return true;
    });
  });
});
