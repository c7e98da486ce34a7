// The request log (LOG_REQUESTS). Fastify's own is two info lines per request, "incoming request" and
// "request completed" (and a third for an unknown route): on a sold-out drop, where an attempt is otherwise
// a counter check and a 409, those lines are a large share of its cost (BENCHMARKS.md). Counts by route and
// status are in /metrics whatever the mode.
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import type { RequestLogMode } from '../config.ts';

/**
 * all: Fastify's lines. completed: one line per request when it is answered, with the request in it.
 * errors: only the requests answered with a 5xx. A 5xx is logged at error in every mode.
 */
export class RequestLog extends LogController {
  constructor(private readonly mode: RequestLogMode) {
    super();
  }

  override incomingRequest(request: FastifyRequest, reply: FastifyReply, metadata?: Record<string, unknown>): void {
    if (this.mode === 'all') super.incomingRequest(request, reply, metadata);
  }

  override routeNotFound(request: FastifyRequest, reply: FastifyReply, metadata?: Record<string, unknown>): void {
    if (this.mode === 'all') super.routeNotFound(request, reply, metadata);
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply, metadata?: Record<string, unknown>): void {
    if (this.mode === 'all') return super.requestCompleted(error, request, reply, metadata);
    if (error || reply.statusCode >= 500) request.log.error({ req: request, res: reply, err: error ?? undefined, responseTime: reply.elapsedTime }, 'request failed');
    else if (this.mode === 'completed') request.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}
