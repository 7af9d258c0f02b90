// Request and response schemas of AAMI's HTTP APIs: the producer, the CLI and the Web UI use these.
export * from './notifications.ts';
export * from './alerts.ts';
export * from './compile-status.ts';
