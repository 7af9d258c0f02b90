// Which config.yaml fields hold secrets AAMI keeps in secrets.json, and the rule for them: the file
// holds `${secret:<name>}`, the value lives in the secrets store. The config store applies this on
// every write, so a value set through the API, the CLI or `aami init` never lands in config.yaml,
// and a config.yaml that still holds a literal (written before this existed, or by hand) is
// migrated by its next write.
import { ANY_REF, containsReference, secretRef } from './references.ts';
import type { AamiConfig } from './schema.ts';
import type { SecretValues } from './secrets.ts';

/** One config field whose value is kept in the secrets store under a fixed name. */
export interface StoredSecretField {
  /** The field, in YAML path form. */
  readonly path: string;
  /** Its name in secrets.json. */
  readonly name: string;
  get(config: AamiConfig): string | undefined;
  set(config: AamiConfig, value: string): void;
}

export const STORED_SECRET_FIELDS: readonly StoredSecretField[] = [
  {
    path: 'notifications.slack.webhook_url',
    name: 'slack_webhook',
    get: (c) => c.notifications.slack?.webhook_url,
    set: (c, v) => { if (c.notifications.slack) c.notifications.slack.webhook_url = v; },
  },
  {
    path: 'notifications.email.password',
    name: 'smtp_password',
    get: (c) => c.notifications.email?.password,
    set: (c, v) => { if (c.notifications.email) c.notifications.email.password = v; },
  },
];

/** The fields of `config` that hold a secret in plain text (no reference). */
export function literalSecretFields(config: AamiConfig): StoredSecretField[] {
  return STORED_SECRET_FIELDS.filter((f) => {
    const v = f.get(config);
    return v !== undefined && v !== '' && !containsReference(v);
  });
}

/**
 * Moves every plain-text secret of `config` into `values` and puts its `${secret:name}` reference
 * in its place (both are changed in place). Returns the fields moved.
 */
export function moveLiteralSecrets(config: AamiConfig, values: SecretValues): StoredSecretField[] {
  const moved = literalSecretFields(config);
  for (const f of moved) {
    values[f.name] = f.get(config) as string;
    f.set(config, secretRef(f.name));
  }
  return moved;
}

/** Every secret name a `${secret:name}` anywhere in `config` refers to. */
export function referencedSecretNames(config: unknown): Set<string> {
  const names = new Set<string>();
  const walk = (v: unknown): void => {
    if (typeof v === 'string') {
      for (const m of v.matchAll(ANY_REF)) if (m[1] !== undefined) names.add(m[1]);
    } else if (Array.isArray(v)) {
      v.forEach(walk);
    } else if (v && typeof v === 'object') {
      Object.values(v).forEach(walk);
    }
  };
  walk(config);
  return names;
}

/**
 * Removes from `values` the secrets AAMI stored for a field that no longer refers to them (the
 * channel was removed, or now reads `${VAR}`), so no stale secret stays behind. Secrets put into
 * secrets.json by hand under other names are left alone. Returns the names removed.
 */
export function dropUnusedSecrets(config: AamiConfig, values: SecretValues): string[] {
  const used = referencedSecretNames(config);
  const dropped: string[] = [];
  for (const { name } of STORED_SECRET_FIELDS) {
    if (Object.hasOwn(values, name) && !used.has(name)) {
      delete values[name];
      dropped.push(name);
    }
  }
  return dropped;
}
