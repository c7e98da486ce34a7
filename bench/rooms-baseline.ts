// The baseline of the room fan-out benchmark: a bare `ws` server that does what a naive live room does —
// one frame per event per client, sent the moment the event happens (every chat line and every like).
// Run as its own process: PORT=… node --import tsx bench/rooms-baseline.ts
import { WebSocketServer, type WebSocket } from 'ws';

const port = Number(process.env.PORT ?? 0);
const wss = new WebSocketServer({ port, host: '127.0.0.1', perMessageDeflate: false, maxPayload: 4096 });
let seq = 0;
let likes = 0;

function broadcast(message: object): void {
  const data = JSON.stringify(message);
  for (const client of wss.clients) if (client.readyState === 1) client.send(data);
}

wss.on('connection', (socket: WebSocket) => {
  socket.send(JSON.stringify({ type: 'welcome' }));
  socket.on('message', (raw) => {
    let m: { type?: string; text?: unknown };
    try {
      m = JSON.parse(raw.toString());
    } catch {
      return;
    }
    if (m.type === 'like') broadcast({ type: 'likes', total: ++likes });
    else if (m.type === 'chat' && typeof m.text === 'string') {
      broadcast({ type: 'chat', id: `msg_${++seq}`, user: { id: 'usr_bench', handle: 'bench' }, text: m.text, at: new Date().toISOString() });
    }
  });
});

wss.on('listening', () => process.stdout.write(`listening ${(wss.address() as { port: number }).port}\n`));
process.on('SIGTERM', () => process.exit(0));
