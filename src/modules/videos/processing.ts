// The durable processing job of short videos. Each job is a row (video_jobs); a node claims a due one with
// FOR UPDATE SKIP LOCKED — two nodes never take the same — and holds it by a lease it renews while ffmpeg runs.
// A node that dies leaves a lease that lapses, and the job is claimed again (by any node, or this one after its
// restart) and started over; every claim counts an attempt. A source ffmpeg cannot use fails at once with the
// reason; anything else is retried with backoff, MAX_ATTEMPTS times in all. Outputs go through media storage
// under a name used once (videos/<id>/<run>/…), so they never change once written and can be cached for a year.
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { Db } from '../../adapters/db/index.ts';
import type { VideoJobsTable } from '../../adapters/db/schema-videos.ts';
import { chooseFfmpeg } from '../../adapters/media/ffmpeg.ts';
import { coverArgs, findFfprobe, ladderArgs, previewArgs, probeMedia, runFfmpeg, testPatternArgs, type FfmpegRun } from '../../adapters/media/transcode.ts';
import { contentTypeOf, type MediaStorage } from '../../adapters/storage/index.ts';
import type { AppContext } from '../../platform/context.ts';
import { newId } from '../../platform/ids.ts';
import { backoffSeconds, judgeSource, MAX_ATTEMPTS } from './rules.ts';

/** Seconds of the animated preview. */
const PREVIEW_SECONDS = 3;

/** A failure that is the source's fault: retrying cannot help. */
class Refused extends Error {}
/** The lease was lost (another node took the job) or the node is stopping: leave the job as it is. */
class Abandoned extends Error {}

type Tools = { ffmpeg: string; ffprobe: string } | { problem: string };

/** How a demo job's source is described in video_jobs.generate: "testsrc2:<width>x<height>:<seconds>:<tone Hz>". */
export const demoSource = (width: number, height: number, seconds: number, frequency: number) => `testsrc2:${width}x${height}:${seconds}:${frequency}`;

export class VideoProcessor {
  /** This process's name on the leases it holds. */
  private readonly owner = newId('vproc');
  private tools: Tools | null = null;
  private running: { run: FfmpegRun | null; abandoned: boolean } | null = null;
  private busy = false;
  private stopping = false;
  private ticking: Promise<void> | null = null;

  constructor(
    private readonly ctx: AppContext,
    private readonly storage: MediaStorage,
  ) {}

  start(): void {
    if (!this.ctx.config.videoProcessing) return;
    this.ctx.jobs.every('video-processing', 1000, () => this.tick());
  }

  /** Looks for work now (a job was just queued on this node). */
  kick(): void {
    if (this.ctx.config.videoProcessing && !this.stopping) void this.tick().catch((err) => this.ctx.log.error({ err }, 'videos: processing failed'));
  }

  /** Stops the ffmpeg at work and gives its job back at once, so another node (or this one restarted) takes it without waiting for the lease. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.running) {
      this.running.abandoned = true;
      this.running.run?.kill();
    }
    await this.ticking;
  }

  /** Processes due jobs one after another until none is left (one at a time: ffmpeg uses every core). */
  tick(): Promise<void> {
    if (this.busy) return this.ticking ?? Promise.resolve();
    this.busy = true;
    this.ticking = (async () => {
      try {
        while (!this.stopping) {
          const job = await this.claim();
          if (!job) break;
          await this.process(job);
        }
      } finally {
        this.busy = false;
      }
    })();
    return this.ticking;
  }

  /** ffmpeg new enough for the ladder, and ffprobe: chosen once, when there is first something to process. */
  private async chooseTools(): Promise<Tools> {
    if (this.tools) return this.tools;
    try {
      const { ffmpeg, why } = await chooseFfmpeg(this.ctx.config.ffmpegPath, ['hls-ladder']);
      const ffprobe = findFfprobe(ffmpeg.path);
      this.tools = ffprobe ? { ffmpeg: ffmpeg.path, ffprobe } : { problem: `no ffprobe beside ${ffmpeg.path} or on PATH (install the ffmpeg package that has it, or set FFMPEG_PATH)` };
      if (ffprobe) this.ctx.log.info(`videos: ${ffmpeg}, ${why}; ${ffprobe}`);
    } catch (err) {
      this.tools = { problem: (err as Error).message };
    }
    if ('problem' in this.tools) this.ctx.log.error(`videos: this node cannot process short videos: ${this.tools.problem} (VIDEO_PROCESSING=0 leaves them to other nodes)`);
    return this.tools;
  }

  private async claim(): Promise<VideoJobsTable | null> {
    const { db, clock, config } = this.ctx;
    const due = (q: Db, now: Date) =>
      q
        .selectFrom('video_jobs')
        .selectAll()
        .where('status', '=', 'processing')
        .where('next_attempt_at', '<=', now)
        .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', now)]));
    // A cheap look first: ffmpeg is probed only once there is a job for it.
    if (!(await due(db, clock.now()).limit(1).executeTakeFirst())) return null;
    const tools = await this.chooseTools();
    return db.transaction().execute(async (trx) => {
      const now = clock.now();
      const job = await due(trx, now).orderBy('next_attempt_at').limit(1).forUpdate().skipLocked().executeTakeFirst();
      if (!job) return null;
      const reason = 'problem' in tools ? `this server cannot process videos: ${tools.problem}` : job.attempts >= MAX_ATTEMPTS ? `processing did not finish in ${job.attempts} attempts${job.reason ? ` (last: ${job.reason})` : ''}` : null;
      if (reason) {
        await trx.updateTable('video_jobs').set({ status: 'failed', reason, locked_by: null, locked_until: null, updated_at: now }).where('video_id', '=', job.video_id).execute();
        await trx.updateTable('videos').set({ status: 'failed', failure_reason: reason, updated_at: now }).where('id', '=', job.video_id).execute();
        return { ...job, status: 'failed' as const };
      }
      const claimed = { attempts: job.attempts + 1, locked_by: this.owner, locked_until: new Date(now.getTime() + config.videoLeaseSeconds * 1000), updated_at: now };
      await trx.updateTable('video_jobs').set(claimed).where('video_id', '=', job.video_id).execute();
      return { ...job, ...claimed };
    });
  }

  /** Keeps the lease while the job runs; a renewal that finds the lease gone abandons the work. */
  private async renew(videoId: string): Promise<void> {
    const until = new Date(this.ctx.clock.nowMs() + this.ctx.config.videoLeaseSeconds * 1000);
    const r = await this.ctx.db.updateTable('video_jobs').set({ locked_until: until }).where('video_id', '=', videoId).where('locked_by', '=', this.owner).where('status', '=', 'processing').executeTakeFirst();
    if (r.numUpdatedRows === 0n && this.running) {
      this.running.abandoned = true;
      this.running.run?.kill();
    }
  }

  private async process(job: VideoJobsTable): Promise<void> {
    if (job.status !== 'processing') {
      // Failed at its claim (too many attempts, no usable ffmpeg): its source will not be needed.
      if (job.source_key) await this.removeSource(job.source_key);
      return;
    }
    const { ctx } = this;
    const run = newId('run').slice(4).toLowerCase();
    const work = join(ctx.config.dataDir, 'video-work', `${job.video_id}-${run}`);
    const state = (this.running = { run: null as FfmpegRun | null, abandoned: false });
    const renewal = setInterval(() => void this.renew(job.video_id).catch((err) => ctx.log.warn({ err }, 'videos: lease renewal failed')), (ctx.config.videoLeaseSeconds * 1000) / 3);
    const ffmpeg = async (args: string[], what: string) => {
      if (state.abandoned) throw new Abandoned();
      state.run = runFfmpeg((this.tools as { ffmpeg: string }).ffmpeg, args, ctx.log);
      const result = await state.run.done;
      state.run = null;
      if (state.abandoned) throw new Abandoned();
      if (result.code === 0) return;
      const last = result.stderr.split('\n').filter(Boolean).pop()?.replaceAll(work, '') ?? '';
      // Killed by a signal (memory, an operator): worth another attempt. Exited with an error: the source is at fault.
      if (result.signal) throw new Error(`ffmpeg (${what}) was stopped by ${result.signal}`);
      throw new Refused(`${what} failed: ${last.slice(0, 300) || `ffmpeg exited with ${result.code}`}`);
    };
    const prefix = `videos/${job.video_id}/${run}`;
    try {
      await mkdir(join(work, 'out'), { recursive: true });
      const source = job.generate ? join(work, 'source.mp4') : await this.storage.localCopy(job.source_key!, work);
      if (job.generate) {
        const [, size, seconds, frequency] = job.generate.split(':');
        const [width, height] = size.split('x').map(Number);
        await ffmpeg(testPatternArgs(source, { width, height, seconds: Number(seconds), frequency: Number(frequency) }), 'making the demo clip');
      }
      const probe = await probeMedia((this.tools as { ffprobe: string }).ffprobe, source);
      if ('problem' in probe) throw new Refused(`not a video the server can read (${probe.problem})`);
      const verdict = judgeSource(probe, (await stat(source)).size, ctx.config.uploadMaxBytes);
      if ('refused' in verdict) throw new Refused(verdict.refused);
      const src = verdict.accepted;
      const out = join(work, 'out');
      await ffmpeg(ladderArgs({ source, outDir: out, preset: ctx.config.videoPreset, hasAudio: src.hasAudio, maxFps: src.fps === null ? null : 30 }), 'transcoding');
      await ffmpeg(coverArgs(source, Math.min(1, src.durationMs / 2000), join(out, 'cover.jpg')), 'the cover');
      await ffmpeg(previewArgs(source, PREVIEW_SECONDS, join(out, 'preview.mp4'), ctx.config.videoPreset), 'the preview');
      for (const file of await readdir(out, { recursive: true })) {
        const path = join(out, file);
        if (!(await stat(path)).isFile()) continue;
        await this.storage.putFile(`${prefix}/${relative(out, path)}`, path, contentTypeOf(file));
      }
      if (state.abandoned) throw new Abandoned();
      await this.finish(job, { ready: { prefix, durationMs: src.durationMs, width: src.width, height: src.height } });
    } catch (err) {
      if (err instanceof Abandoned) {
        await this.storage.deletePrefix(`${prefix}/`).catch(() => {});
        // Stopping: give the job back now (this attempt not counted); a lost lease is the new holder's.
        if (this.stopping) {
          await ctx.db
            .updateTable('video_jobs')
            .set((eb) => ({ locked_by: null, locked_until: null, attempts: eb('attempts', '-', 1) }))
            .where('video_id', '=', job.video_id)
            .where('locked_by', '=', this.owner)
            .execute();
        }
      } else if (err instanceof Refused) {
        await this.finish(job, { failed: err.message });
      } else {
        ctx.log.warn({ err, videoId: job.video_id, attempt: job.attempts }, 'videos: processing attempt failed; it will be retried');
        await this.storage.deletePrefix(`${prefix}/`).catch(() => {});
        await this.retryLater(job, (err as Error).message);
      }
    } finally {
      clearInterval(renewal);
      this.running = null;
      await rm(work, { recursive: true, force: true });
    }
  }

  /** Ready or failed, together for the video and its job, if this node still holds the job; the source is then removed. */
  private async finish(job: VideoJobsTable, outcome: { ready: { prefix: string; durationMs: number; width: number; height: number } } | { failed: string }): Promise<void> {
    const { db, clock } = this.ctx;
    const now = clock.now();
    const kept = await db.transaction().execute(async (trx) => {
      const status = 'ready' in outcome ? ('ready' as const) : ('failed' as const);
      const reason = 'failed' in outcome ? outcome.failed : null;
      const held = await trx
        .updateTable('video_jobs')
        .set({ status, reason, locked_by: null, locked_until: null, updated_at: now })
        .where('video_id', '=', job.video_id)
        .where('locked_by', '=', this.owner)
        .where('status', '=', 'processing')
        .executeTakeFirst();
      if (held.numUpdatedRows === 0n) return false;
      const video = await trx.selectFrom('videos').select('deleted_at').where('id', '=', job.video_id).executeTakeFirstOrThrow();
      if (video.deleted_at) return false;
      await trx
        .updateTable('videos')
        .set(
          'ready' in outcome
            ? { status, media_prefix: outcome.ready.prefix, duration_ms: outcome.ready.durationMs, width: outcome.ready.width, height: outcome.ready.height, ready_at: now, updated_at: now }
            : { status, failure_reason: reason, updated_at: now },
        )
        .where('id', '=', job.video_id)
        .execute();
      return true;
    });
    if (!kept && 'ready' in outcome) await this.storage.deletePrefix(`${outcome.ready.prefix}/`).catch(() => {});
    if (job.source_key) await this.removeSource(job.source_key);
    this.ctx.log.info({ videoId: job.video_id, outcome: 'ready' in outcome ? 'ready' : 'failed', reason: 'failed' in outcome ? outcome.failed : undefined }, 'videos: processed');
  }

  /** A source's directory in storage (sources/<upload id>/). */
  private async removeSource(key: string): Promise<void> {
    await this.storage.deletePrefix(key.slice(0, key.lastIndexOf('/') + 1)).catch((err) => this.ctx.log.warn({ err, key }, 'videos: could not remove a source'));
  }

  private async retryLater(job: VideoJobsTable, reason: string): Promise<void> {
    const now = this.ctx.clock.nowMs();
    await this.ctx.db
      .updateTable('video_jobs')
      .set({ locked_by: null, locked_until: null, reason: reason.slice(0, 500), next_attempt_at: new Date(now + backoffSeconds(job.attempts) * 1000), updated_at: new Date(now) })
      .where('video_id', '=', job.video_id)
      .where('locked_by', '=', this.owner)
      .execute();
  }
}
