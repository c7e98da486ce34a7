// A small history router: both apps are a handful of paths, so a table of patterns is all it takes.
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';

const NAVIGATED = 'hawker:navigate';

/** How many pages of this app lie behind the current one in the tab's history (0: the app was opened here). */
const depth = (): number => (history.state as { depth?: number } | null)?.depth ?? 0;

export function navigate(to: string, opts: { replace?: boolean } = {}) {
  if (to === location.pathname + location.search) return;
  history[opts.replace ? 'replaceState' : 'pushState']({ depth: opts.replace ? depth() : depth() + 1 }, '', to);
  window.dispatchEvent(new Event(NAVIGATED));
  window.scrollTo(0, 0);
}

/** Back to the page of this app the user came from, or to `fallback` when this page was opened directly (from a link elsewhere). */
export function goBack(fallback: string) {
  if (depth() > 0) history.back();
  else navigate(fallback, { replace: true });
}

/** The current path (without the query string); re-renders on navigation. */
export function usePath(): string {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const update = () => setPath(location.pathname);
    window.addEventListener('popstate', update);
    window.addEventListener(NAVIGATED, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(NAVIGATED, update);
    };
  }, []);
  return path;
}

/** "/room/:id" against "/room/live_1" → {id: "live_1"}; null when it does not match. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split('/').filter(Boolean);
  const have = path.split('/').filter(Boolean);
  if (want.length !== have.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    if (want[i].startsWith(':')) params[want[i].slice(1)] = decodeURIComponent(have[i]);
    else if (want[i] !== have[i]) return null;
  }
  return params;
}

export const searchParam = (name: string) => new URLSearchParams(location.search).get(name);

interface LinkProps {
  href: string;
  class?: string;
  style?: Record<string, string>;
  children?: ComponentChildren;
  [data: `data-${string}`]: string | undefined;
}

/** An <a> that navigates in place (a modified click still opens a new tab). */
export function Link({ href, children, ...rest }: LinkProps) {
  const onClick = (e: MouseEvent) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(href);
  };
  return (
    <a {...rest} href={href} onClick={onClick}>
      {children}
    </a>
  );
}
