// The shop's allow-list of sites that may show its embedded cards (GET/PUT /shops/:shopId/embed-settings): one
// origin per line; the server checks each and answers the list as it keeps it (normalised, without duplicates).
import { useState } from 'preact/hooks';
import { api, get } from '../shared/api.ts';
import { t } from '../shared/i18n.ts';
import '../shared/locales/embeds.ts';
import type { Shop } from '../shared/types.ts';
import { errorText, Loaded, useResource, useSubmit } from '../shared/ui.tsx';
import './embeds.css';

const MAX_SITES = 50;

interface Settings {
  shopId: string;
  allowedOrigins: string[];
  updatedAt: string | null;
}

export function EmbedSettings({ shop }: { shop: Shop }) {
  const settings = useResource((signal) => get<{ embedSettings: Settings }>(`/shops/${shop.id}/embed-settings`, signal).then((r) => r.embedSettings), [shop.id]);
  return (
    <>
      <header class="page-head">
        <h1>{t('embeds.settings.title')}</h1>
      </header>
      <Loaded resource={settings}>{(s) => <AllowList key={s.shopId} shop={shop} settings={s} />}</Loaded>
    </>
  );
}

function AllowList({ shop, settings }: { shop: Shop; settings: Settings }) {
  const [text, setText] = useState(settings.allowedOrigins.join('\n'));
  // The list as last saved: "saved" shows while the box still holds it.
  const [savedText, setSavedText] = useState<string | null>(null);
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  const { busy, error, onSubmit } = useSubmit(async () => {
    const r = await api<{ embedSettings: Settings }>('PUT', `/shops/${shop.id}/embed-settings`, { body: { allowedOrigins: lines } });
    const kept = r.embedSettings.allowedOrigins.join('\n');
    setText(kept);
    setSavedText(kept);
  });
  return (
    <form class="panel narrow" onSubmit={onSubmit} data-testid="embed-settings">
      <p>{t('embeds.settings.intro')}</p>
      <p class="muted">{t('embeds.settings.emptyRule')}</p>
      <label>
        {t('embeds.settings.origins')}
        <textarea
          class="embed-origins"
          name="allowedOrigins"
          rows={6}
          placeholder="https://blog.example.com"
          value={text}
          onInput={(e) => setText(e.currentTarget.value)}
          spellcheck={false}
          data-testid="embed-origins"
        />
      </label>
      <p class="muted">{t('embeds.settings.count', { n: lines.length, max: MAX_SITES })}</p>
      {error !== null && <p class="form-error" role="alert">{errorText(error)}</p>}
      <div class="actions">
        <button class="btn btn-primary" type="submit" disabled={busy || lines.length > MAX_SITES} data-testid="embed-save">
          {t('embeds.settings.save')}
        </button>
        {savedText === text && !busy && error === null && <span class="muted" data-testid="embed-saved">{t('embeds.settings.saved')}</span>}
      </div>
      <p class="muted">{t('embeds.settings.howTo')}</p>
    </form>
  );
}
