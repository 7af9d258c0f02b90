// Shell snippets that change a node, built from a plan. The apply script runs as root from the
// private staging folder its files arrived in (stage.ts), over the node's existing SSH connection;
// uninstall runs as one `sudo -n bash -s`. Files go in place by copy + rename, so a running binary
// is never half-written and a crash leaves the old or the new file.
import { ALL_UNITS, PATHS, SERVICE_USER } from './desired.ts';
import type { Plan } from './plan.ts';
import { shq } from '../ssh/executor.ts';

/** Staged name of the i-th uploaded file. */
export const stagedName = (i: number) => `f${i}`;

/** The script that applies `plan`; its $1 is the private folder holding the checked, staged files. */
export function applyScript(plan: Plan): string {
  const lines = [
    'set -eu',
    'export LC_ALL=C',
    'stage=$1',
    `getent group ${SERVICE_USER} >/dev/null || groupadd --system ${SERVICE_USER}`,
    `getent passwd ${SERVICE_USER} >/dev/null || useradd --system --gid ${SERVICE_USER} --no-create-home --home-dir /nonexistent --shell "$(command -v nologin || echo /bin/false)" ${SERVICE_USER}`,
    `install -d -m 0755 ${shq(PATHS.textfileDir)} /etc/aami`,
  ];
  if (plan.removeUnits.length) {
    lines.push(`for u in ${plan.removeUnits.map(shq).join(' ')}; do systemctl disable --now "$u" >/dev/null 2>&1 || true; done`);
  }
  if (plan.removeFiles.length) lines.push(`rm -f ${plan.removeFiles.map(shq).join(' ')}`);
  plan.upload.forEach((f, i) => {
    const dest = shq(f.path);
    const tmp = shq(`${f.path}.aami-new`);
    lines.push(`install -d -m 0755 "$(dirname ${dest})"`);
    lines.push(`cp "$stage/${stagedName(i)}" ${tmp} && chown root:root ${tmp} && chmod ${f.mode.toString(8)} ${tmp} && mv -f ${tmp} ${dest}`);
  });
  if (plan.daemonReload) lines.push('systemctl daemon-reload');
  if (plan.enable.length) lines.push(`systemctl enable --quiet ${plan.enable.map(shq).join(' ')}`);
  if (plan.restart.length) lines.push(`systemctl restart ${plan.restart.map(shq).join(' ')}`);
  if (plan.start.length) lines.push(`systemctl start ${plan.start.map(shq).join(' ')}`);
  for (const u of plan.runOnce) {
    // A oneshot: `systemctl start` waits for it and fails with it; report its journal tail.
    lines.push(`if ! systemctl start ${shq(u)}; then echo "unit-failed ${u} $(journalctl -u ${shq(u)} -n 15 --no-pager -o cat 2>&1 | tail -n 15 | base64 -w0)"; exit 3; fi`);
  }
  if (plan.writeRecord) {
    const json = `${JSON.stringify(plan.record, null, 2)}\n`;
    lines.push(`printf '%s' ${shq(json)} > ${shq(`${PATHS.installed}.aami-new`)} && chmod 644 ${shq(`${PATHS.installed}.aami-new`)} && mv -f ${shq(`${PATHS.installed}.aami-new`)} ${shq(PATHS.installed)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The script that removes everything AAMI installed (idempotent; prints "removed N"). */
export function uninstallScript(extraFiles: string[] = [], extraUnits: string[] = []): string {
  const units = [...new Set([...ALL_UNITS, ...extraUnits])];
  const files = [...new Set([
    PATHS.nodeExporterBin, PATHS.nodeExporterUnit, PATHS.dcgmBin, PATHS.dcgmUnit, PATHS.dcgmCounters, PATHS.dcgmImage,
    PATHS.xidService, PATHS.xidTimer, PATHS.installed, ...extraFiles,
  ])];
  return `set -u
export LC_ALL=C
n=0
for u in ${units.map(shq).join(' ')}; do
  if [ -n "$(systemctl list-unit-files --no-legend "$u" 2>/dev/null)" ] || systemctl is-active --quiet "$u"; then
    systemctl disable --now "$u" >/dev/null 2>&1 || systemctl stop "$u" >/dev/null 2>&1 || true
  fi
done
(command -v docker >/dev/null 2>&1 && docker rm -f aami-dcgm-exporter >/dev/null 2>&1) || true
for f in ${files.map(shq).join(' ')}; do
  if [ -e "$f" ]; then rm -f "$f" && n=$((n + 1)); fi
done
systemctl daemon-reload
systemctl reset-failed ${units.map(shq).join(' ')} >/dev/null 2>&1 || true
rm -f ${shq(`${PATHS.textfileDir}/aami_xid.prom`)}
rm -rf /var/lib/aami-xid-counter
rmdir /etc/aami /var/lib/aami/images /var/lib/aami 2>/dev/null || true
if getent passwd ${SERVICE_USER} >/dev/null; then userdel ${SERVICE_USER} >/dev/null 2>&1 && n=$((n + 1)); fi
if getent group ${SERVICE_USER} >/dev/null; then groupdel ${SERVICE_USER} >/dev/null 2>&1 || true; fi
echo "removed $n"
`;
}

/** Arguments of scripts/verify.sh for the given units and metrics endpoints. */
export function verifyArgs(waitS: number, units: string[], metrics: Array<{ port: number; expect: string }>): string {
  return [String(waitS), ...units.map((u) => `u:${u}`), ...metrics.map((m) => `m:${m.port}:${m.expect}`)].map(shq).join(' ');
}
