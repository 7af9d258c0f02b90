export * from './vocabulary.ts';
export * from './schema.ts';
