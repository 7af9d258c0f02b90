// The two kinds of reference config.yaml may hold in place of a secret: `${VAR}` (read from the
// services' environment) and `${secret:name}` (read from secrets.json beside config.yaml). Both stay
// verbatim in the file and are resolved only in memory, where a value is used.

/** A whole-value `${VAR}` reference. */
export const ENV_REF_PATTERN = /^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/;

/** What a stored secret may be called: safe in YAML, JSON and a log line. */
export const SECRET_NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** A whole-value `${secret:name}` reference. */
export const SECRET_REF_PATTERN = /^\$\{secret:([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})\}$/;

/** `${VAR}` or `${secret:name}` anywhere in a string; group 1 is a secret's name, group 2 a variable's. */
export const ANY_REF = /\$\{(?:secret:([^}]*)|([A-Za-z_][A-Za-z0-9_]*))\}/g;

/** The reference config.yaml holds for the stored secret `name`. */
export function secretRef(name: string): string {
  return `\${secret:${name}}`;
}

/** The secret's name when `value` is exactly a `${secret:name}` reference. */
export function secretRefName(value: string): string | undefined {
  return SECRET_REF_PATTERN.exec(value)?.[1];
}

/** True when `value` is exactly one reference of either kind (so it holds no secret itself). */
export function isReference(value: string): boolean {
  return ENV_REF_PATTERN.test(value) || SECRET_REF_PATTERN.test(value);
}

/**
 * True when `value` holds a reference anywhere: such a value was composed on purpose (say
 * `smtp-${SMTP_PASSWORD_TAIL}`) and is kept as written, since moving it into the secrets store
 * would stop its `${VAR}` part from being expanded.
 */
export function containsReference(value: string): boolean {
  return new RegExp(ANY_REF.source).test(value);
}
