export * from './schema.ts';
export * from './store.ts';
export * from './issues.ts';
export * from './env.ts';
export * from './redact.ts';
export * from './hosts-file.ts';
