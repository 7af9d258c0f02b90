// @aami/shared: the library every AAMI service and the CLI build on.
export * from './errors.ts';
export * from './config/index.ts';
export * from './metrics-contract.ts';
export * from './queues.ts';
export * from './installed-exporters.ts';
export * from './redis.ts';
export * from './settings.ts';
export * from './log.ts';
export * from './xid/index.ts';
export * from './topology/index.ts';
export * from './health/index.ts';
export * from './prometheus/query.ts';
export * from './http/json-errors.ts';
export * from './api/index.ts';
export * from './alerts/index.ts';
export * from './http/service-token.ts';
export * from './version.ts';
