// Posting a short video from the buyer app: as an influencer (products from their showcase) or for a shop the
// user works in (its products). Who may post is the server's to say; a user who may not is told what is missing.
import { useState } from 'preact/hooks';
import { ApiError, get } from '../shared/api.ts';
import { t } from '../shared/i18n.ts';
import { navigate } from '../shared/router.tsx';
import type { Influencer, Shop } from '../shared/types.ts';
import { Empty, Loaded, useResource } from '../shared/ui.tsx';
import { VideoUploadForm } from '../shared/VideoUploadForm.tsx';
import { MePage } from './MePage.tsx';

interface Identities {
  shops: Shop[];
  influencer: Influencer | null;
}

async function identities(signal: AbortSignal): Promise<Identities> {
  const [shops, influencer] = await Promise.all([
    get<{ shops: Shop[] }>('/me/shops?limit=200', signal).then((r) => r.shops.filter((s) => s.status !== 'suspended' && s.myRole !== 'operator')),
    // No influencer profile is a 404: not an influencer.
    get<{ influencer: Influencer }>('/me/influencer', signal).then(
      (r) => r.influencer,
      (err) => {
        if (err instanceof ApiError && err.status === 404) return null;
        throw err;
      },
    ),
  ]);
  return { shops, influencer };
}

export function VideoUpload() {
  return (
    <MePage title={t('creatorVideos.upload')} testId="video-upload-page">
      <VideoUploadBody />
    </MePage>
  );
}

function VideoUploadBody() {
  const who = useResource(identities, []);
  return <Loaded resource={who}>{(ids) => <Choose ids={ids} />}</Loaded>;
}

function Choose({ ids }: { ids: Identities }) {
  const asInfluencer = ids.influencer?.permissions.videoSharing ?? false;
  // '' posts as the influencer; a shop id posts for that shop.
  const [as, setAs] = useState(asInfluencer || ids.shops.length === 0 ? '' : ids.shops[0].id);
  if (!asInfluencer && ids.shops.length === 0) {
    return <Empty icon="lock" title={t('creatorVideos.notCreator')} hint={ids.influencer ? t('creatorVideos.notCreatorTier') : t('creatorVideos.notCreatorHint')} />;
  }
  const choices = [...(asInfluencer ? [{ id: '', label: t('creatorVideos.asMyself') }] : []), ...ids.shops.map((s) => ({ id: s.id, label: s.name }))];
  return (
    <section class="card">
      {choices.length > 1 && (
        <label>
          {t('creatorVideos.postAs')}
          <select value={as} onChange={(e) => setAs(e.currentTarget.value)} data-testid="post-as">
            {choices.map((c) => (
              <option key={c.id} value={c.id}>
                {c.label}
              </option>
            ))}
          </select>
        </label>
      )}
      <VideoUploadForm shopId={as || null} />
      <button class="btn btn-block" type="button" onClick={() => navigate('/me/videos')}>
        {t('creatorVideos.title')}
      </button>
    </section>
  );
}
