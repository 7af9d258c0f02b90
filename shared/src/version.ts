// The AAMI release every service reports in /healthz and `aami status` (AAMI_VERSION overrides it,
// e.g. a build label set by the image).
export const AAMI_VERSION: string = process.env.AAMI_VERSION ?? '0.1.0';
