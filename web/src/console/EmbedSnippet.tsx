// The code a shop pastes into its own site or article to show a product, live session or video card (issue 19):
// the loader script (which sizes the card's iframe to fit) or a plain iframe, each with a copy button, and a preview
// of the card as it will look. The allow-list of sites that may show it is edited on the Embeds page.
import { useRef, useState } from 'preact/hooks';
import { t } from '../shared/i18n.ts';
import '../shared/locales/embeds.ts';
import { Link } from '../shared/router.tsx';
import { Sheet } from '../shared/ui.tsx';
import './embeds.css';

export type EmbedKind = 'product' | 'live' | 'video';
const PATHS: Record<EmbedKind, string> = { product: 'products', live: 'live', video: 'videos' };

const attr = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The two snippets for a card, against this node's address (where the console is served). */
export function embedCode(kind: EmbedKind, id: string, title: string, origin = location.origin) {
  const src = `${origin}/embed/${PATHS[kind]}/${encodeURIComponent(id)}`;
  return {
    src,
    script: `<div data-hawker-embed="${kind}:${attr(id)}"><a href="${attr(src)}">${attr(title)}</a></div>\n<script async src="${origin}/embed.js"></script>`,
    iframe: `<iframe src="${attr(src)}" width="480" height="150" title="${attr(title)}" loading="lazy" scrolling="no" style="border:0;max-width:100%"></iframe>`,
  };
}

export function EmbedSnippet({ kind, id, title }: { kind: EmbedKind; id: string; title: string }) {
  const [open, setOpen] = useState(false);
  const code = embedCode(kind, id, title);
  return (
    <>
      <button type="button" class="btn btn-small" onClick={() => setOpen(true)} data-testid="embed-button">
        {t('embeds.snippet.button')}
      </button>
      <Sheet open={open} onClose={() => setOpen(false)} title={t('embeds.snippet.title', { title })} testId="embed-snippet">
        <p class="muted">{t('embeds.snippet.intro')}</p>
        <CodeBox label={t('embeds.snippet.script')} code={code.script} testId="embed-script" />
        <CodeBox label={t('embeds.snippet.iframe')} code={code.iframe} testId="embed-iframe" />
        <p class="embed-preview-label">{t('embeds.snippet.preview')}</p>
        <iframe class="embed-preview" src={code.src} title={title} loading="lazy" />
        <p class="muted">
          {t('embeds.snippet.allowHint')}{' '}
          <Link href="/console/embeds">
            {t('embeds.snippet.settings')}
          </Link>
        </p>
      </Sheet>
    </>
  );
}

function CodeBox({ label, code, testId }: { label: string; code: string; testId: string }) {
  const [copied, setCopied] = useState(false);
  const box = useRef<HTMLTextAreaElement>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(code);
    } catch {
      // No clipboard access (a page not served over HTTPS): the code is selected for the merchant to copy.
      box.current?.select();
      return;
    }
    setCopied(true);
    setTimeout(() => setCopied(false), 1500);
  };
  return (
    <div class="embed-code">
      <label>
        {label}
        <textarea ref={box} readOnly rows={3} value={code} onFocus={(e) => e.currentTarget.select()} data-testid={testId} spellcheck={false} />
      </label>
      <button type="button" class="btn btn-small" onClick={() => void copy()} data-testid={`${testId}-copy`}>
        {copied ? t('embeds.snippet.copied') : t('embeds.snippet.copy')}
      </button>
    </div>
  );
}
