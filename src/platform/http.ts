import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from './errors.ts';

/** An AppError as API.md's error shape. */
export const sendAppError = (reply: FastifyReply, err: AppError) => reply.status(err.status).headers(err.headers).send({ error: { code: err.code, message: err.message } });

/** Maps every failure to API.md's error shape; bad input is always a 4xx, and only our own faults are 5xx. */
export function errorHandler(err: FastifyError | AppError | Error, request: FastifyRequest, reply: FastifyReply) {
  if (err instanceof AppError) return sendAppError(reply, err);
  const fe = err as FastifyError;
  if (fe.validation) {
    return reply.status(400).send({ error: { code: 'invalid_request', message: fe.message } });
  }
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return reply.status(413).send({ error: { code: 'payload_too_large', message: 'request body is too large' } });
  }
  if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return reply.status(415).send({ error: { code: 'unsupported_media_type', message: 'send JSON (application/json)' } });
  }
  const status = typeof fe.statusCode === 'number' ? fe.statusCode : 500;
  if (status >= 400 && status < 500) {
    return reply.status(status).send({ error: { code: status === 404 ? 'not_found' : 'invalid_request', message: fe.message } });
  }
  request.log.error({ err }, 'unhandled error');
  return reply.status(500).send({ error: { code: 'internal_error', message: 'internal error' } });
}

/** Requests Node's HTTP parser refuses before Fastify routes them (headers past the size limit, a NUL in a header): answered in the error shape too, as Fastify's default handler would but for the body. */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket) {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'headers_too_large', 'the request line and headers are too large']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'request_timeout', 'the request took too long to arrive']
        : [400, 'invalid_request', 'malformed HTTP request'];
  const body = JSON.stringify({ error: { code, message } });
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy(err);
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply) {
  return reply.status(404).send({ error: { code: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` } });
}

/** Query parameters that carry a secret (the room WebSocket's `?token=`, the nginx callbacks' token): never logged. */
const SECRET_PARAMS = /([?&](?:token|access_token)=)[^&#]*/gi;

/** A request URL as logs may show it: secrets in the query string replaced. */
export const redactUrl = (url: string) => url.replace(SECRET_PARAMS, '$1[redacted]');

/** The logger's view of a request: Fastify's default fields, with the URL's secrets redacted. */
export const logSerializers = {
  req(request: FastifyRequest) {
    return {
      method: request.method,
      url: redactUrl(request.url),
      host: request.host,
      remoteAddress: request.ip,
      remotePort: request.socket?.remotePort,
    };
  },
};
