// Route schemas are compiled when a route is first used, not when it is registered: Ajv's validators and
// fast-json-stringify's serializers for every route (and the HEAD twin of every GET) were most of a start's
// CPU, and a start in the middle of a live session is downtime (BENCHMARKS.md). A route's first request
// pays for its own schemas, once.
import { createRequire } from 'node:module';
import type { FastifyServerOptions } from 'fastify';

type SerializerFactory = NonNullable<NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>['buildSerializer']>;
// Ajv's and fast-json-stringify's factories differ in every parameter; this wraps either.
type AnyFactory = (externalSchemas: any, options: any) => (route: any) => (...args: any[]) => any;

/** `factory`, with each route's compile deferred to the route's first call. */
export function compiledOnFirstUse<F extends AnyFactory>(factory: F): F {
  const deferred: AnyFactory = (externalSchemas, options) => {
    const compile = factory(externalSchemas, options);
    return (route: unknown) => {
      let compiled: ((...args: unknown[]) => unknown) & { errors?: unknown };
      const onFirstUse = (...args: unknown[]) => {
        compiled ??= compile(route);
        const result = compiled(...args);
        // Ajv reports a failed validation on the function's `errors`, which Fastify reads from this one.
        onFirstUse.errors = compiled.errors;
        return result;
      };
      onFirstUse.errors = undefined as unknown;
      return onFirstUse;
    };
  };
  return deferred as F;
}

/** The serializer factory Fastify uses when given none: its own copy of @fastify/fast-json-stringify-compiler. */
export function fastifySerializers(): SerializerFactory {
  const fromFastify = createRequire(createRequire(import.meta.url).resolve('fastify'));
  return (fromFastify('@fastify/fast-json-stringify-compiler') as () => SerializerFactory)();
}
