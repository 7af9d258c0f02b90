export * from './vocabulary.ts';
export * from './schema.ts';
export * from './params.ts';
