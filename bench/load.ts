// The load generator of the drop bench: HTTP/1.1 over keep-alive TCP connections, one request at a time on
// each (no pipelining: a buyer's phone has one request out), written straight to `net` sockets. Every request
// is serialized to bytes before the clock starts and an answer is read by its status line and Content-Length
// (or chunks), so sending and reading one costs the bench process 37–65 µs of CPU here, most of it the kernel's
// loopback send and receive. node:http's client cost 90–170 µs per request here — more than the server it
// measured — and on two cores that is CPU the server under test does not get: the bare route then measured
// the load generator, not the node. It runs in the bench process; the servers run in their own processes.
import net from 'node:net';

export interface LoadRequest {
  url: string;
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
}

export interface LoadResult {
  requests: number;
  seconds: number;
  rate: number;
  p50: number;
  p99: number;
  statuses: Record<number, number>;
  bodies: string[];
  /** Every request in the order it was sent: when (ms after the start), how long it took, its status. */
  timeline: { at: number; ms: number; status: number }[];
}

interface Answer {
  status: number;
  body: Buffer | null;
}

const CRLF2 = Buffer.from('\r\n\r\n');

/** What an answer's head says about its body. */
function framing(head: string): { length: number; chunked: boolean; close: boolean } {
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  return {
    length: length ? Number(length[1]) : -1,
    chunked: /\r\ntransfer-encoding:[^\r]*chunked/i.test(head),
    close: /\r\nconnection:\s*close/i.test(head),
  };
}

/** A chunked body decoded, or null while it is not all here. */
function dechunk(buf: Buffer, from: number): { body: Buffer; end: number } | null {
  const parts: Buffer[] = [];
  let at = from;
  for (;;) {
    const eol = buf.indexOf('\r\n', at);
    if (eol < 0) return null;
    const size = parseInt(buf.toString('latin1', at, eol), 16);
    if (Number.isNaN(size)) throw new Error('bad chunk size');
    if (size === 0) {
      const end = buf.indexOf(CRLF2, eol);
      return end < 0 ? null : { body: Buffer.concat(parts), end: end + 4 };
    }
    if (buf.length < eol + 2 + size + 2) return null;
    parts.push(buf.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

/** One keep-alive connection with at most one request out on it. */
class Connection {
  private socket: net.Socket;
  private buffered: Buffer | null = null;
  private waiting: { resolve(a: Answer): void; reject(e: Error): void; keepBody: boolean } | null = null;
  closed = false;
  connected = false;
  readonly ready: Promise<void>;

  constructor(host: string, port: number) {
    this.socket = net.connect({ host, port, noDelay: true });
    this.ready = new Promise((resolve, reject) => {
      this.socket.once('connect', () => {
        this.connected = true;
        resolve();
      });
      this.socket.once('error', reject);
    });
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (err) => this.fail(err));
    this.socket.on('close', () => this.fail(new Error('connection closed')));
  }

  send(bytes: Buffer, keepBody: boolean): Promise<Answer> {
    if (this.waiting) throw new Error('a request is already out on this connection');
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject, keepBody };
      this.socket.write(bytes);
    });
  }

  destroy(): void {
    this.closed = true;
    this.socket.destroy();
  }

  private fail(err: Error): void {
    this.closed = true;
    const w = this.waiting;
    this.waiting = null;
    w?.reject(err);
  }

  private onData(chunk: Buffer): void {
    const buf = this.buffered ? Buffer.concat([this.buffered, chunk]) : chunk;
    this.buffered = buf;
    const headEnd = buf.indexOf(CRLF2);
    if (headEnd < 0) return;
    const head = buf.toString('latin1', 0, headEnd);
    const status = Number(head.slice(9, 12));
    const { length, chunked, close } = framing(head);
    let body: Buffer;
    let end: number;
    if (chunked) {
      const decoded = dechunk(buf, headEnd + 4);
      if (!decoded) return;
      ({ body, end } = decoded);
    } else {
      if (length < 0) return this.fail(new Error('an answer without Content-Length or chunks'));
      end = headEnd + 4 + length;
      if (buf.length < end) return;
      body = buf.subarray(headEnd + 4, end);
    }
    if (end !== buf.length) return this.fail(new Error('bytes after an answer that nobody asked for'));
    this.buffered = null;
    const w = this.waiting;
    this.waiting = null;
    if (close) this.destroy();
    w?.resolve({ status, body: w.keepBody ? Buffer.from(body) : null });
  }
}

/**
 * Keep-alive connections to reuse across loads, as the buyers of a live room are connected before a drop
 * opens: in-flight slot i always uses connection i to each origin, opened the first time it is needed.
 */
export class ConnectionPool {
  private readonly connections = new Map<string, Connection[]>();

  /** The slot's connection to origin: at once if it is open, else once it has connected. */
  connection(origin: string, slot: number): Connection | Promise<Connection> {
    let list = this.connections.get(origin);
    if (!list) this.connections.set(origin, (list = []));
    let c = list[slot];
    if (c?.connected && !c.closed) return c;
    if (!c || c.closed) {
      const { hostname, port } = new URL(origin);
      list[slot] = c = new Connection(hostname, Number(port));
    }
    const opening = c;
    return opening.ready.then(() => opening);
  }

  destroy(): void {
    for (const list of this.connections.values()) for (const c of list) c?.destroy();
    this.connections.clear();
  }
}

/** A request as the bytes that go on the wire, and the origin they go to. */
export function serialize(req: LoadRequest): { origin: string; bytes: Buffer } {
  const url = new URL(req.url);
  const headers: Record<string, string> = { host: url.host, ...(req.headers ?? {}) };
  if (req.body !== undefined) {
    headers['content-type'] ??= 'application/json';
    headers['content-length'] = String(Buffer.byteLength(req.body));
  }
  const head = `${req.method} ${url.pathname}${url.search} HTTP/1.1\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;
  return { origin: url.origin, bytes: Buffer.from(head + (req.body ?? '')) };
}

/** Resolves at an epoch millisecond: a timer to just before it, then the event loop's own turns for the last stretch. */
export async function untilEpoch(at: number): Promise<void> {
  if (at - Date.now() > 20) await new Promise((r) => setTimeout(r, at - Date.now() - 20));
  while (Date.now() < at) await new Promise((r) => setImmediate(r));
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/** Sends every request, `concurrency` at a time, and measures rate and latency (on fresh connections unless given a pool). */
export async function runLoad(requests: LoadRequest[], concurrency: number, keepBodies = false, shared?: ConnectionPool): Promise<LoadResult> {
  const pool = shared ?? new ConnectionPool();
  const wire = requests.map(serialize);
  const latencies: number[] = [];
  const statuses: Record<number, number> = {};
  const bodies: string[] = new Array(keepBodies ? requests.length : 0);
  const timeline: LoadResult['timeline'] = new Array(requests.length);
  const slots = Math.min(concurrency, requests.length);
  // Connections are opened (or found open) before the clock starts.
  await Promise.all(Array.from({ length: slots }, (_, slot) => Promise.all([...new Set(wire.map((w) => w.origin))].map((o) => pool.connection(o, slot)))));
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: slots }, async (_, slot) => {
      for (let i = next++; i < requests.length; i = next++) {
        const { origin, bytes } = wire[i];
        const open = pool.connection(origin, slot);
        const connection = open instanceof Promise ? await open : open;
        const at = performance.now();
        const { status, body } = await connection.send(bytes, keepBodies);
        const ms = performance.now() - at;
        latencies.push(ms);
        timeline[i] = { at: at - started, ms, status };
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (keepBodies) bodies[i] = body!.toString();
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  if (!shared) pool.destroy();
  latencies.sort((a, b) => a - b);
  return { requests: requests.length, seconds, rate: requests.length / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), statuses, bodies, timeline };
}
