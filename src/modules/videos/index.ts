// The short-video module, assembled: storage, the tus endpoint, the service, the processing job and replays.
import { openStorage } from '../../adapters/storage/index.ts';
import type { App, AppContext } from '../../platform/context.ts';
import type { Media } from '../media/service.ts';
import { videoFileRoutes } from './files.ts';
import { VideoProcessor } from './processing.ts';
import { makeReplayVideos } from './replays.ts';
import { videosRoutes } from './routes.ts';
import { Videos } from './service.ts';
import { VideoSocial } from './social.ts';
import { videoSocialRoutes } from './social-routes.ts';
import { VideoUploads } from './uploads.ts';

export interface VideosModule {
  videos: Videos;
  social: VideoSocial;
  processor: VideoProcessor;
  /** Routes under /api/v1: the videos, their likes, comments and follows, and the tus upload endpoint. */
  apiRoutes(api: App): void;
  /** /media/videos/… at the root. */
  fileRoutes(app: App): void;
  close(): Promise<void>;
}

export async function openVideos(ctx: AppContext, media: Media): Promise<VideosModule> {
  const storage = await openStorage(ctx.config.storage);
  const uploads = new VideoUploads(ctx);
  const processor = new VideoProcessor(ctx, storage);
  const videos = new Videos(ctx, storage, uploads, () => processor.kick());
  const social = new VideoSocial(ctx, videos);
  processor.start();
  ctx.jobs.every('replay-videos', 2000, () => makeReplayVideos(ctx, media));
  ctx.jobs.every('expired-uploads', 3600_000, () => uploads.removeExpired());
  return {
    videos,
    social,
    processor,
    apiRoutes(api) {
      videosRoutes(api, ctx, videos);
      videoSocialRoutes(api, ctx, social);
      uploads.routes(api);
    },
    fileRoutes: (app) => videoFileRoutes(app, videos),
    close: () => processor.stop(),
  };
}
