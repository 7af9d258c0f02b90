// @aami/shared: the library every AAMI service and the CLI build on.
export * from './errors.ts';
