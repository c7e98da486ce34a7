// The floor under every order endpoint on this machine: plain Fastify (the version Hawker runs, no plugins,
// no hooks) with a GET /healthz like Hawker's and a POST /orders that validates the same headers and body
// as Hawker's and answers 409 sold_out at once — no authentication, no counters, no database. What a POST
// with a JSON body costs the HTTP stack alone, next to a GET, bounds how close any checkout can come to the
// bare route.
import Fastify from 'fastify';
import { Type } from 'typebox';
import { PlaceOrderBody, PlaceOrderHeaders } from '../src/modules/orders/routes.ts';

const app = Fastify({ logger: { level: 'warn' } });
app.get('/healthz', { schema: { response: { 200: Type.Object({ status: Type.String() }) } } }, async () => ({ status: 'ok' }));
app.post('/orders', { schema: { headers: PlaceOrderHeaders, body: PlaceOrderBody } }, async (_req, reply) =>
  reply.status(409).send({ error: { code: 'sold_out', message: 'sold out' } }),
);
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
// Exits on SIGTERM as the Hawker nodes do, so a --cpu-prof profile (BENCH_NODE_ARGS) is written.
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
