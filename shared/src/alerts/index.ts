// The alert-rules domain, shared by the rule compiler (which compiles and checks it with promtool)
// and the API gateway (which lists, tunes and explains it): the preset schema and catalog, the
// effective rules of a config, overrides and annotation templates. Pure functions: no promtool here.
export * from './preset-schema.ts';
export * from './preset-catalog.ts';
export * from './presets-list.ts';
export * from './effective-rules.ts';
export * from './overrides.ts';
export * from './annotation-template.ts';
