// The small part of Prometheus' Go template language that AAMI's preset annotations may use. Keeping
// to it means every annotation is a valid Go template (promtool checks that too) and that tests, the
// gateway and the UI can render an annotation exactly as Prometheus will, without Go.
//
// Allowed actions: `{{ $labels.NAME }}`, `{{ $value }}`, `{{ printf "%.Nf" $value }}` (N = 0..3) and
// AAMI's own `{{threshold}}`, which the compiler replaces with the rule's effective threshold before
// Prometheus ever sees the text.

const ACTION = /\{\{(.*?)\}\}/g;
const LABEL = /^\s*\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)\s*$/;
const VALUE = /^\s*\$value\s*$/;
const PRINTF = /^\s*printf\s+"%\.([0-3])f"\s+\$value\s*$/;
const THRESHOLD = /^threshold$/;

/** Returns one message per action outside the allowed subset (empty when the text is fine). */
export function checkTemplate(text: string): string[] {
  const problems: string[] = [];
  for (const m of text.matchAll(ACTION)) {
    const body = m[1] ?? '';
    if (!(LABEL.test(body) || VALUE.test(body) || PRINTF.test(body) || THRESHOLD.test(body))) {
      problems.push(`unsupported template action "{{${body}}}": use {{ $labels.NAME }}, {{ $value }}, {{ printf "%.1f" $value }} or {{threshold}}`);
    }
  }
  const opens = text.split('{{').length - 1;
  const closes = text.split('}}').length - 1;
  if (opens !== closes) problems.push('unbalanced "{{" / "}}"');
  return problems;
}

/** Replaces `{{threshold}}` (in an expr or an annotation) with the number as PromQL reads it. */
export function substituteThreshold(text: string, threshold: number | undefined): string {
  if (threshold === undefined) return text;
  return text.replaceAll('{{threshold}}', String(threshold));
}

/**
 * Go's `%v` for a float64, which is how Prometheus prints `{{ $value }}`: strconv's shortest 'g'
 * form, which switches to an exponent when the decimal exponent is below -4 or at least 6
 * (1e+06, 1.5e-05), where JavaScript would print 1000000 and 0.000015.
 */
export function goFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const [mant, ex] = v.toExponential().split('e') as [string, string];
  const exp = Number(ex);
  if (exp < -4 || exp >= 6) {
    const sign = exp < 0 ? '-' : '+';
    return `${mant}e${sign}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return String(v);
}

/**
 * Renders an annotation as Prometheus would for an alert whose series had `labels` and value `value`.
 * A `$labels.NAME` the series lacks is an error: an annotation that names a missing label is a bug.
 */
export function renderTemplate(text: string, labels: Record<string, string>, value?: number): string {
  return text.replace(ACTION, (_m, body: string) => {
    const label = LABEL.exec(body);
    if (label) {
      const name = label[1] ?? '';
      const got = labels[name];
      if (got === undefined) throw new Error(`template uses $labels.${name}, which the alert's series does not have`);
      return got;
    }
    if (VALUE.test(body) || PRINTF.test(body)) {
      if (value === undefined) throw new Error(`template uses $value but no value was given`);
      const p = PRINTF.exec(body);
      return p ? value.toFixed(Number(p[1])) : goFloat(value);
    }
    if (THRESHOLD.test(body)) throw new Error('{{threshold}} must be substituted before rendering');
    throw new Error(`unsupported template action {{${body}}}`);
  });
}
