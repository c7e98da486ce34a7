// Where a webhook may be sent: http(s) to public addresses only, unless the operator allows private ones
// (WEBHOOKS_ALLOW_PRIVATE). The address checked is the address connected to, so DNS cannot change its answer between.
import { lookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';

export const CONNECT_TIMEOUT_MS = 2000;
export const TOTAL_TIMEOUT_MS = 10_000;
export const KEPT_BODY_BYTES = 4096;

const blocked = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], // "this network", unspecified
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata (169.254.169.254)
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const)
  blocked.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96], // NAT64 of any v4 address: checked by its v4 part instead (below)
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10],
  ['ff00::', 8], // multicast
  ['fd00:ec2::254', 128], // AWS metadata over v6
] as const)
  blocked.addSubnet(net, bits, 'ipv6');

/** The IPv4 address inside an IPv4-mapped, -compatible or NAT64 IPv6 address, if it is one. */
function embeddedV4(address: string): string | null {
  const m = /^(?:::ffff:(?:0:)?|::|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (m) return m[1];
  const hex = /^(?:::ffff:(?:0:)?|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (!hex) return null;
  const hi = parseInt(hex[1], 16);
  const lo = parseInt(hex[2], 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** True for loopback, private, link-local, CGNAT, metadata, unspecified, multicast and reserved addresses. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return blocked.check(address, 'ipv4');
  if (family !== 6) return true;
  const v4 = embeddedV4(address.toLowerCase());
  if (v4) return blocked.check(v4, 'ipv4');
  return blocked.check(address, 'ipv6');
}

export class TargetRefused extends Error {}

/** The URL as a webhook target, or why not (a message for the shop). Checks the scheme and form only. */
export function parseTargetUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TargetRefused('url is not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TargetRefused('url must be http or https');
  if (url.username || url.password) throw new TargetRefused('url must not carry credentials');
  if (!url.hostname) throw new TargetRefused('url has no host');
  return url;
}

/** The address to connect to for the URL's host: every address it resolves to must be allowed, or none is used. */
export async function resolveTarget(url: URL, allowPrivate: boolean): Promise<{ address: string; family: number }> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: { address: string; family: number }[];
  if (isIP(host)) addresses = [{ address: host, family: isIP(host) }];
  else {
    let timer: NodeJS.Timeout | undefined;
    try {
      // Within the connect budget: a resolver that does not answer is a failed attempt, not a stuck sender.
      const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), CONNECT_TIMEOUT_MS)));
      addresses = await Promise.race([lookup(host, { all: true, verbatim: true }), late]);
    } catch {
      throw new TargetRefused(`host ${host} does not resolve`);
    } finally {
      clearTimeout(timer);
    }
  }
  if (addresses.length === 0) throw new TargetRefused(`host ${host} does not resolve`);
  if (!allowPrivate) {
    const bad = addresses.find((a) => isPrivateAddress(a.address));
    if (bad) throw new TargetRefused(`host ${host} resolves to a private or reserved address (${bad.address})`);
  }
  return addresses[0];
}

export interface PostResult {
  status: number | null;
  body: string;
  retryAfter: string | undefined;
  error: string | null;
  durationMs: number;
}


const agents = { http: new http.Agent({ keepAlive: true, maxSockets: 64 }), https: new https.Agent({ keepAlive: true, maxSockets: 64 }) };

/**
 * POSTs the body to the URL at the address checked: connect within 2 s, everything within 10 s, no redirect
 * followed (a 3xx is an answer like any other), at most 4 KiB of the response read and kept.
 */
export async function postTo(url: URL, allowPrivate: boolean, headers: Record<string, string>, body: string): Promise<PostResult> {
  const started = performance.now();
  const took = () => Math.round(performance.now() - started);
  let target: { address: string; family: number };
  try {
    target = await resolveTarget(url, allowPrivate);
  } catch (err) {
    return { status: null, body: '', retryAfter: undefined, error: (err as Error).message, durationMs: took() };
  }
  const pinned: LookupFunction = (_host, opts, cb) => {
    if ((opts as { all?: boolean }).all) (cb as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [target]);
    else cb(null, target.address, target.family);
  };
  const secure = url.protocol === 'https:';
  return new Promise<PostResult>((resolve) => {
    let settled = false;
    const finish = (r: Omit<PostResult, 'durationMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(total);
      resolve({ ...r, durationMs: took() });
    };
    const req = (secure ? https : http).request(url, {
      method: 'POST',
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      agent: secure ? agents.https : agents.http,
      lookup: pinned,
    });
    const total = setTimeout(() => {
      finish({ status: null, body: '', retryAfter: undefined, error: `no answer within ${TOTAL_TIMEOUT_MS / 1000} s` });
      req.destroy();
    }, TOTAL_TIMEOUT_MS);
    req.on('socket', (socket) => {
      if (!socket.connecting) return;
      const connect = setTimeout(() => {
        finish({ status: null, body: '', retryAfter: undefined, error: `could not connect within ${CONNECT_TIMEOUT_MS / 1000} s` });
        req.destroy();
      }, CONNECT_TIMEOUT_MS);
      socket.once('connect', () => clearTimeout(connect));
      socket.once('close', () => clearTimeout(connect));
    });
    req.on('error', (err) => finish({ status: null, body: '', retryAfter: undefined, error: err.message }));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let kept = 0;
      const done = () => {
        const status = res.statusCode ?? null;
        const header = res.headers['retry-after'];
        finish({ status, body: Buffer.concat(chunks).toString('utf8'), retryAfter: Array.isArray(header) ? header[0] : header, error: null });
      };
      res.on('data', (chunk: Buffer) => {
        if (kept < KEPT_BODY_BYTES) {
          chunks.push(chunk.subarray(0, KEPT_BODY_BYTES - kept));
          kept += Math.min(chunk.length, KEPT_BODY_BYTES - kept);
        }
        if (kept >= KEPT_BODY_BYTES) {
          // Enough kept: the rest is not read (the connection is dropped rather than drained).
          done();
          res.destroy();
        }
      });
      res.on('end', done);
      res.on('error', done);
    });
    req.end(body);
  });
}
