// zh-CN and English. The language follows the browser until the user picks one (kept in localStorage).
// Keys are checked at compile time against the English dictionary, and the Chinese one must have them all.
import i18next from 'i18next';
import { useEffect, useState } from 'preact/hooks';
import { storage } from './api.ts';
import en from './locales/en.ts';
import zhCN from './locales/zh-CN.ts';
import type { analyticsEn } from './locales/analytics.ts';
import type { webhooksEn } from './locales/webhooks.ts';
import type { embedsEn } from './locales/embeds.ts';
import type { apikeysEn } from './locales/apikeys.ts';
import type { goliveEn } from './locales/golive.ts';
import type { cohostingEn } from './locales/cohosting.ts';

declare module 'i18next' {
  interface CustomTypeOptions {
    // The analytics strings are added when an analytics page loads (locales/analytics.ts); typed here like the rest.
    resources: { translation: typeof en & { analytics: typeof analyticsEn } & { webhooks: typeof webhooksEn } & { embeds: typeof embedsEn } & { apikeys: typeof apikeysEn } & { golive: typeof goliveEn } & { cohosting: typeof cohostingEn } };
  }
}

export const LANGUAGES = [
  { code: 'zh-CN', label: '中文' },
  { code: 'en', label: 'English' },
] as const;
export type Language = (typeof LANGUAGES)[number]['code'];

const LANG_KEY = 'hawker.lang';

function detectLanguage(): Language {
  const chosen = storage.read(LANG_KEY);
  if (LANGUAGES.some((l) => l.code === chosen)) return chosen as Language;
  for (const tag of navigator.languages?.length ? navigator.languages : [navigator.language]) {
    if (/^zh\b/i.test(tag)) return 'zh-CN';
    if (/^en\b/i.test(tag)) return 'en';
  }
  return 'en';
}

void i18next.init({
  resources: { en: { translation: en }, 'zh-CN': { translation: zhCN } },
  lng: detectLanguage(),
  fallbackLng: 'en',
  initAsync: false,
  // Preact renders every string as text, never as markup, so i18next need not escape.
  interpolation: { escapeValue: false },
});
document.documentElement.lang = i18next.language;

export const t = i18next.t.bind(i18next);
export const language = () => i18next.language as Language;

export function setLanguage(code: Language) {
  storage.write(LANG_KEY, code);
  document.documentElement.lang = code;
  void i18next.changeLanguage(code);
}

/** Re-renders the calling component when the language changes (the app roots call it). */
export function useLanguage(): Language {
  const [, setVersion] = useState(0);
  useEffect(() => {
    const rerender = () => setVersion((v) => v + 1);
    i18next.on('languageChanged', rerender);
    return () => i18next.off('languageChanged', rerender);
  }, []);
  return language();
}
