// Request and response schemas of AAMI's HTTP APIs: the producer, the CLI and the Web UI use these.
// GPU health (/api/v1/health) has its own in ../health/schema.ts; the error envelope is
// ErrorEnvelope in ../http/json-errors.ts.
export * from './common.ts';
export * from './notifications.ts';
export * from './alerts.ts';
export * from './compile-status.ts';
export * from './nodes.ts';
export * from './install.ts';
export * from './xid.ts';
export * from './status.ts';
export * from './tokens.ts';
export * from './config.ts';
export * from './topology.ts';
export * from './overview.ts';
export * from './doctor.ts';
