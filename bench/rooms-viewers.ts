// One viewer process of the room fan-out benchmark: holds many WebSocket viewers of one room and records,
// per viewer, which benchmark chat lines arrived and how long after they were sent. Driven over IPC by
// bench/rooms.ts. The viewers are minimal WebSocket clients (RFC 6455 handshake, then server frames read
// straight off the TCP stream and scanned as bytes for the chat marker) so that the load generator costs as
// little CPU as possible next to the server it measures, on the same two cores.
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

/** Benchmark chat lines read "b:<seq>:<sentAtMs>"; this is how they appear inside a frame. */
const MARK = Buffer.from('"text":"b:');
const MAX_LATENCY_MS = 60_000;
const READ_BUFFER = Buffer.alloc(256 * 1024);

type Command =
  | { cmd: 'connect'; url: string; count: number; expected: number; localAddress: string; concurrency: number }
  | { cmd: 'progress' }
  | { cmd: 'report' }
  | { cmd: 'close' };

const sockets: Socket[] = [];
const histogram = new Uint32Array(MAX_LATENCY_MS + 1);
let seen = new Uint8Array(0);
let expected = 0;
let delivered = 0;
let frames = 0;
let bytes = 0;
let lostSockets = 0;
let closing = false;
let lastDeliveryAt = 0;

const send = (message: object) => process.send!(message);

function onFrame(viewer: number, data: Buffer): void {
  frames += 1;
  bytes += data.length;
  let i = data.indexOf(MARK);
  if (i === -1) return;
  const now = Date.now();
  while (i !== -1) {
    let p = i + MARK.length;
    let seq = 0;
    while (data[p] !== 58) seq = seq * 10 + (data[p++] - 48);
    p += 1;
    let sentAt = 0;
    while (data[p] >= 48 && data[p] <= 57) sentAt = sentAt * 10 + (data[p++] - 48);
    const slot = viewer * expected + seq;
    if (seq < expected && seen[slot] === 0) {
      seen[slot] = 1;
      delivered += 1;
      histogram[Math.min(Math.max(now - sentAt, 0), MAX_LATENCY_MS)] += 1;
      lastDeliveryAt = now;
    }
    i = data.indexOf(MARK, p);
  }
}

/** A WebSocket viewer on a raw socket: the server's frames are never masked, so their payload is plain in the stream. */
class Viewer {
  private rest: Buffer | null = null;
  private upgraded = false;

  constructor(
    private readonly index: number,
    readonly socket: Socket,
  ) {}

  onData(chunk: Buffer): void {
    let data = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    let off = 0;
    if (!this.upgraded) {
      const end = data.indexOf('\r\n\r\n');
      if (end === -1) {
        this.rest = Buffer.from(data);
        return;
      }
      if (!data.subarray(0, 12).toString().includes(' 101')) {
        this.socket.destroy();
        return;
      }
      this.upgraded = true;
      this.socket.emit('upgraded');
      off = end + 4;
    }
    while (data.length - off >= 2) {
      let len = data[off + 1] & 0x7f;
      let head = 2;
      if (len === 126) {
        if (data.length - off < 4) break;
        len = data.readUInt16BE(off + 2);
        head = 4;
      } else if (len === 127) {
        if (data.length - off < 10) break;
        len = Number(data.readBigUInt64BE(off + 2));
        head = 10;
      }
      if (data.length - off < head + len) break;
      const opcode = data[off] & 0x0f;
      if (opcode === 1 || opcode === 0) onFrame(this.index, data.subarray(off + head, off + head + len));
      off += head + len;
    }
    // A copy: `chunk` lives in the read buffer all sockets share, which the next read overwrites.
    this.rest = off < data.length ? Buffer.from(data.subarray(off)) : null;
  }
}

function open(url: string, index: number, localAddress: string): Promise<Socket | null> {
  const { hostname, port, pathname, search } = new URL(url);
  return new Promise((resolve) => {
    // Reads land in one buffer shared by every socket of this process and go straight to the viewer (no
    // Buffer and no stream 'data' event per read): at 10,000 viewers the reads are most of this process's work.
    let viewer: Viewer | null = null;
    const socket = connect({
      host: hostname,
      port: Number(port),
      localAddress,
      onread: {
        buffer: READ_BUFFER,
        callback: (n: number, buf: Uint8Array) => {
          viewer!.onData(Buffer.from(buf.buffer, buf.byteOffset, n));
          return true;
        },
      },
    });
    socket.setNoDelay(true);
    viewer = new Viewer(index, socket);
    socket.once('upgraded', () => resolve(socket));
    socket.once('error', () => resolve(null));
    socket.on('close', () => {
      resolve(null);
      if (!closing) lostSockets += 1;
    });
    socket.write(
      `GET ${pathname}${search} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
  });
}

async function connectAll(c: Extract<Command, { cmd: 'connect' }>): Promise<void> {
  expected = c.expected;
  seen = new Uint8Array(c.count * c.expected);
  let next = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: c.concurrency }, async () => {
      while (next < c.count) {
        const viewer = next++;
        const socket = await open(c.url, viewer, c.localAddress);
        if (socket) sockets.push(socket);
        else failed += 1;
      }
    }),
  );
  send({ event: 'connected', connected: sockets.length, failed });
}

process.on('message', (c: Command) => {
  if (c.cmd === 'connect') void connectAll(c);
  else if (c.cmd === 'progress') send({ event: 'progress', delivered, frames, lostSockets });
  else if (c.cmd === 'report') send({ event: 'report', delivered, frames, bytes, lostSockets, lastDeliveryAt, histogram: Array.from(histogram) });
  else if (c.cmd === 'close') {
    closing = true;
    for (const socket of sockets) socket.destroy();
    process.exit(0);
  }
});
