// Test harness: real daemons on free loopback ports in temp dirs, stopped by pid.
export * from './daemon.ts';
export * from './redis.ts';
export * from './prometheus.ts';
export * from './alertmanager.ts';
export * from './node-exporter.ts';
export * from './sshd.ts';
export * from './aami-service.ts';
