import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  registry: Registry;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  ordersCreated: Counter;
  paymentsConfirmed: Counter;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'hawker_' });
  return {
    registry,
    httpDuration: new Histogram({
      name: 'hawker_http_request_duration_seconds',
      help: 'HTTP request duration by route',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    ordersCreated: new Counter({ name: 'hawker_orders_created_total', help: 'Orders created', registers: [registry] }),
    paymentsConfirmed: new Counter({ name: 'hawker_payments_confirmed_total', help: 'Payments applied as succeeded', registers: [registry] }),
  };
}
