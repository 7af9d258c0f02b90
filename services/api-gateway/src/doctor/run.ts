// Runs doctor checks side by side and sums them up as the DoctorResponse: findings worst first
// (then in check order), a count per severity, each check's worst finding. A check that throws or
// takes longer than its limit becomes a critical finding of its own, so one broken check cannot
// take the answer down or hold it up.
import { DOCTOR_SEVERITY_RANK, type DoctorCheckSummary, type DoctorFinding, type DoctorResponse, type DoctorSeverity } from '@aami/shared';
import { describeError, type DoctorCheck } from './check.ts';

/** Longest a check may take: the node checks over SSH are the slowest (see NODES_TIMEOUT_MS). */
export const CHECK_TIMEOUT_MS = 50_000;

const worst = (list: DoctorFinding[]): DoctorSeverity => list.reduce<DoctorSeverity>((w, x) => (DOCTOR_SEVERITY_RANK[x.severity] > DOCTOR_SEVERITY_RANK[w] ? x.severity : w), 'ok');

async function guarded(check: DoctorCheck, timeoutMs: number): Promise<DoctorFinding[]> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<DoctorFinding[]>((resolve) => {
    timer = setTimeout(() => resolve([{ check: check.name, severity: 'critical', message: `the ${check.name} check did not finish within ${Math.round(timeoutMs / 1000)} s` }]), timeoutMs);
  });
  try {
    return await Promise.race([check.run(), late]);
  } catch (err) {
    return [{ check: check.name, severity: 'critical', message: `the ${check.name} check failed: ${describeError(err)}` }];
  } finally {
    clearTimeout(timer);
  }
}

/** Runs every check and answers the summed-up result. Never throws. */
export async function runDoctor(checks: DoctorCheck[], opts: { now?: () => number; timeoutMs?: number } = {}): Promise<DoctorResponse> {
  const now = opts.now ?? Date.now;
  const started = now();
  const results = await Promise.all(checks.map(async (c) => ({ check: c, findings: await guarded(c, opts.timeoutMs ?? CHECK_TIMEOUT_MS) })));
  const order = new Map(checks.map((c, i) => [c.name, i]));
  const findings = results.flatMap((r) => r.findings).map((x, i) => ({ x, i }))
    .sort((a, b) => DOCTOR_SEVERITY_RANK[b.x.severity] - DOCTOR_SEVERITY_RANK[a.x.severity] || (order.get(a.x.check) ?? 0) - (order.get(b.x.check) ?? 0) || a.i - b.i)
    .map(({ x }) => x);
  const summaries: DoctorCheckSummary[] = results.map((r) => ({ name: r.check.name, description: r.check.description, severity: worst(r.findings), findings: r.findings.length }));
  const counts = { ok: 0, warning: 0, critical: 0 };
  for (const x of findings) counts[x.severity]++;
  return { checked_at: new Date(started).toISOString(), duration_ms: Math.max(0, Math.round(now() - started)), severity: worst(findings), counts, checks: summaries, findings };
}
