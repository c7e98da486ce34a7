// A small load generator on node:http with keep-alive sockets (fetch tops out near 4,000 requests/s here
// and would measure itself). It runs in the bench process; the servers run in their own processes.
import http from 'node:http';

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

function once(agent: http.Agent, req: LoadRequest, keepBody: boolean): Promise<{ status: number; ms: number; body: string; started: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const r = http.request(
      req.url,
      {
        method: req.method,
        agent,
        headers: { ...(req.body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(req.body) } : {}), ...req.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => keepBody && chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started, body: keepBody ? Buffer.concat(chunks).toString() : '', started }));
        res.on('error', reject);
      },
    );
    r.on('error', reject);
    r.end(req.body);
  });
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/** Keep-alive connections to reuse across loads: buyers in a live room are connected before the drop opens. */
export const keepAliveAgent = (maxSockets: number) => new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });

/** Sends every request, `concurrency` at a time, and measures rate and latency (on fresh connections unless given an agent). */
export async function runLoad(requests: LoadRequest[], concurrency: number, keepBodies = false, shared?: http.Agent): Promise<LoadResult> {
  const agent = shared ?? keepAliveAgent(concurrency);
  const latencies: number[] = [];
  const statuses: Record<number, number> = {};
  const bodies: string[] = new Array(keepBodies ? requests.length : 0);
  const timeline: LoadResult['timeline'] = new Array(requests.length);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, requests.length) }, async () => {
      for (let i = next++; i < requests.length; i = next++) {
        const { status, ms, body, started: at } = await once(agent, requests[i], keepBodies);
        latencies.push(ms);
        timeline[i] = { at: at - started, ms, status };
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (keepBodies) bodies[i] = body;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  if (!shared) agent.destroy();
  latencies.sort((a, b) => a - b);
  return { requests: requests.length, seconds, rate: requests.length / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), statuses, bodies, timeline };
}
