#!/usr/bin/env bash
# Captures real NVIDIA driver output as test fixtures (run on a machine with a GPU).
# Usage: OUT=dir scripts/capture-gpu-fixtures.sh
set -u
out=${OUT:?set OUT to a folder}
run() { local name=$1; shift; timeout 60 "$@" >"$out/$name" 2>&1; echo "rc=$? $*" >>"$out/commands.txt"; }
run nvidia-smi-L.txt nvidia-smi -L
run nvidia-smi.txt nvidia-smi
run nvidia-smi-topo-m.txt nvidia-smi topo -m
run nvidia-smi-nvlink-s.txt nvidia-smi nvlink -s
run nvidia-smi-q.xml nvidia-smi -q -x
run nvidia-smi-query.csv nvidia-smi --query-gpu=index,uuid,pci.bus_id,name,driver_version,temperature.gpu,power.draw,memory.used,memory.free,memory.reserved,memory.total,clocks.sm,clocks.mem,clocks_throttle_reasons.active --format=csv
( dmesg 2>&1 | grep -E 'NVRM|nvidia|Xid' ; journalctl -k 2>/dev/null | grep -E 'NVRM|Xid' ; grep -h -E 'NVRM|Xid' /var/log/kern.log /var/log/syslog 2>/dev/null ) >"$out/kernel-nvrm.txt" 2>&1
{ uname -a; cat /proc/driver/nvidia/version 2>&1; ls /proc/driver/nvidia/gpus/ 2>&1; for g in /proc/driver/nvidia/gpus/*; do cat "$g/information"; done; which dcgmi nv-hostengine dcgm-exporter nvidia-smi 2>&1; ls /usr/local/nvidia /usr/local/nvidia/bin 2>&1; } >"$out/env.txt" 2>&1
python3 - >"$out/nvml-fields.txt" 2>&1 <<'PY'
import pynvml as n
n.nvmlInit()
print("driver", n.nvmlSystemGetDriverVersion())
for i in range(n.nvmlDeviceGetCount()):
    h = n.nvmlDeviceGetHandleByIndex(i)
    pci = n.nvmlDeviceGetPciInfo(h)
    print("gpu", i, n.nvmlDeviceGetName(h), n.nvmlDeviceGetUUID(h), pci.busId)
    mem = n.nvmlDeviceGetMemoryInfo(h)
    print("mem total/used/free MiB", mem.total>>20, mem.used>>20, mem.free>>20)
    for name, f in [("temp", lambda: n.nvmlDeviceGetTemperature(h, 0)), ("power_mW", lambda: n.nvmlDeviceGetPowerUsage(h)),
                    ("energy_mJ", lambda: n.nvmlDeviceGetTotalEnergyConsumption(h)), ("sm_clock", lambda: n.nvmlDeviceGetClockInfo(h, 1)),
                    ("mem_clock", lambda: n.nvmlDeviceGetClockInfo(h, 2)), ("throttle", lambda: n.nvmlDeviceGetCurrentClocksEventReasons(h)),
                    ("pcie_replay", lambda: n.nvmlDeviceGetPcieReplayCounter(h)), ("remapped_rows", lambda: n.nvmlDeviceGetRemappedRows(h)),
                    ("nvlink_state0", lambda: n.nvmlDeviceGetNvLinkState(h, 0)), ("mig", lambda: n.nvmlDeviceGetMigMode(h))]:
        try: print(name, f())
        except Exception as e: print(name, "ERR", e)
PY
ls -la "$out"
