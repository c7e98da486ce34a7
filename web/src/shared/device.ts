// This browser's installation id: engagement events sent without a sign-in carry it (unique viewers are counted
// by it), and so does the signed-out feed, so that what was watched here shapes the next page.
import { storage } from './api.ts';

const DEVICE_KEY = 'hawker.deviceId';

/** A random id: 16 bytes as base64url (22 characters). */
export function eventId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function deviceId(): string {
  let id = storage.read(DEVICE_KEY);
  if (!id || !/^[A-Za-z0-9_-]{8,64}$/.test(id)) {
    id = eventId();
    storage.write(DEVICE_KEY, id);
  }
  return id;
}
