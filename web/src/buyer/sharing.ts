// Share links on the buyer side. A visitor who arrives through /s/:token keeps that token per target (a
// product, a live room) for the rest of the tab's life, so an order placed a few steps later still
// carries it; sharing the same target again passes it on as the parent, which extends the chain.
import { ApiError, post } from '../shared/api.ts';
import type { ShareChannel, ShareLink, ShareTarget } from '../shared/types.ts';

const key = (target: ShareTarget) => `hawker.share.${target.type}.${target.id}`;

export function rememberShareToken(target: ShareTarget, token: string) {
  try {
    sessionStorage.setItem(key(target), token);
  } catch {
    // storage refused (private mode): attribution lasts as long as the page
  }
}

export function shareTokenFor(target: ShareTarget): string | null {
  try {
    return sessionStorage.getItem(key(target));
  } catch {
    return null;
  }
}

export function forgetShareToken(target: ShareTarget) {
  try {
    sessionStorage.removeItem(key(target));
  } catch {
    // nothing kept
  }
}

/** The share an order carries: the room's link for a drop bought in that room, the video's for a product bought from it, else the product's. */
export function shareForOrder(productId: string | undefined, liveSessionId: string | undefined, videoId?: string): { target: ShareTarget; token: string } | null {
  const targets: ShareTarget[] = [];
  if (liveSessionId) targets.push({ type: 'live', id: liveSessionId });
  if (videoId) targets.push({ type: 'video', id: videoId });
  if (productId) targets.push({ type: 'product', id: productId });
  for (const target of targets) {
    const token = shareTokenFor(target);
    if (token) return { target, token };
  }
  return null;
}

/** A new share link for the target; a re-share of the link this visitor came through when there is one. */
export async function createShareLink(target: ShareTarget, channel: ShareChannel): Promise<ShareLink> {
  const parentToken = shareTokenFor(target);
  const fresh = target.type === 'product' ? { productId: target.id } : target.type === 'live' ? { liveSessionId: target.id } : { targetType: target.type, targetId: target.id };
  if (parentToken) {
    try {
      return (await post<{ shareLink: ShareLink }>('/share-links', { parentToken, channel })).shareLink;
    } catch (err) {
      // A parent the server no longer accepts: share afresh rather than not at all.
      if (!(err instanceof ApiError && err.status === 400)) throw err;
      forgetShareToken(target);
    }
  }
  return (await post<{ shareLink: ShareLink }>('/share-links', { ...fresh, channel })).shareLink;
}

/** Whether this browser has a native share sheet. */
export const canShareNatively = () => typeof navigator.share === 'function';

/** Hands the link to the native share sheet, or copies it. */
export async function shareOrCopy(link: ShareLink, title: string): Promise<'shared' | 'copied' | 'cancelled'> {
  if (canShareNatively()) {
    try {
      await navigator.share({ title, text: title, url: link.url });
      return 'shared';
    } catch (err) {
      if (err instanceof DOMException && err.name === 'AbortError') return 'cancelled';
      // the share sheet failed (no user activation left): copying still works
    }
  }
  await copyText(link.url);
  return 'copied';
}

export async function copyText(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // no clipboard permission (plain http): select a hidden copy and use the legacy command
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.position = 'fixed';
    area.style.opacity = '0';
    document.body.append(area);
    area.select();
    document.execCommand('copy');
    area.remove();
  }
}
