// "Share" on a product page and in a live room: makes a share link (a re-share when this visitor came
// through one), then opens the native share sheet or copies the link, and says which with a toast.
import { useState } from 'preact/hooks';
import { auth, useAuth } from '../shared/api.ts';
import { t } from '../shared/i18n.ts';
import type { ShareTarget } from '../shared/types.ts';
import { AuthForm, errorText, Sheet, useSubmit } from '../shared/ui.tsx';
import { canShareNatively, createShareLink, shareOrCopy } from './sharing.ts';
import './sharing.css';

export function ShareButton({ target, title, class: className = 'btn', label = true }: { target: ShareTarget; title: string; class?: string; label?: boolean }) {
  useAuth();
  const [signingIn, setSigningIn] = useState(false);
  const [toast, setToast] = useState<string | null>(null);

  const say = (text: string) => {
    setToast(text);
    setTimeout(() => setToast((current) => (current === text ? null : current)), 2500);
  };

  // What happened, failures too, shows as a toast.
  const { busy, run } = useSubmit(async () => {
    try {
      const link = await createShareLink(target, canShareNatively() ? 'chat' : 'link');
      const how = await shareOrCopy(link, title);
      if (how === 'copied') say(t('share.copied'));
      else if (how === 'shared') say(t('share.shared'));
    } catch (err) {
      say(errorText(err));
    }
  });
  const share = () => (auth.token ? run() : setSigningIn(true));

  return (
    <>
      <button type="button" class={className} onClick={share} disabled={busy} aria-label={t('share.share')} data-testid="share">
        <ShareIcon />
        {label && t('share.share')}
      </button>
      {toast && (
        <div class="toast" role="status" data-testid="share-toast">
          {toast}
        </div>
      )}
      <Sheet open={signingIn && !auth.token} onClose={() => setSigningIn(false)} title={t('share.signInToShare')}>
        <AuthForm
          onDone={() => {
            setSigningIn(false);
            void share();
          }}
        />
      </Sheet>
    </>
  );
}

/** Feather's share-2 (MIT). */
function ShareIcon() {
  return (
    <svg class="icon" width={20} height={20} viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true">
      <circle cx="18" cy="5" r="3" />
      <circle cx="6" cy="12" r="3" />
      <circle cx="18" cy="19" r="3" />
      <line x1="8.59" y1="13.51" x2="15.42" y2="17.49" />
      <line x1="15.41" y1="6.51" x2="8.59" y2="10.49" />
    </svg>
  );
}
