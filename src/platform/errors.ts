import { Type } from 'typebox';

/** The one error type: carries the HTTP status and the snake_case code of API.md's error shape. */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const invalidRequest = (message: string) => new AppError(400, 'invalid_request', message);
export const unauthorized = (message = 'sign in first') => new AppError(401, 'unauthorized', message);
export const forbidden = (message: string) => new AppError(403, 'forbidden', message);
export const notFound = (what: string) => new AppError(404, 'not_found', `${what} not found`);
export const conflict = (code: string, message: string) => new AppError(409, code, message);
export const invalidState = (message: string) => new AppError(409, 'invalid_state', message);
export const rateLimited = (retryAfterSeconds: number) =>
  new AppError(429, 'rate_limited', `too many requests; retry in ${retryAfterSeconds}s`, { 'retry-after': String(retryAfterSeconds) });

export const ErrorBody = Type.Object(
  { error: Type.Object({ code: Type.String(), message: Type.String() }) },
  { $id: 'ErrorBody', description: 'Every non-2xx answer has this shape.' },
);
