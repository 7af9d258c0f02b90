# AAMI node probe (bash, run as the login user, no changes made). Arguments name what else to look
# at: f:PATH (sha256 of a file), u:UNIT (active/enabled state), d:DIR (free KiB on its filesystem).
# Output: key=value lines and "sum|unit|free|installed ..." lines, ending with probe=done.
set -u
echo "uid=$(id -u)"
echo "user=$(id -un)"
if [ "$(id -u)" = 0 ]; then echo sudo=root
elif command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then echo sudo=yes
else echo sudo=no; fi
if [ -r /etc/os-release ]; then
  ( . /etc/os-release; echo "os_id=${ID:-}"; echo "os_version=${VERSION_ID:-}"; echo "os_pretty=${PRETTY_NAME:-}" )
fi
echo "machine=$(uname -m)"
if [ -d /run/systemd/system ]; then echo init=systemd; else echo "init=$(cat /proc/1/comm 2>/dev/null || echo unknown)"; fi
if command -v nvidia-smi >/dev/null 2>&1; then
  echo gpu_tool=yes
  nvidia-smi -L 2>/dev/null | sed -n 's/^GPU [0-9]*: \(.*\) (UUID.*/gpu=\1/p'
else
  echo gpu_tool=no
fi
if command -v docker >/dev/null 2>&1; then echo runtime=docker
elif command -v podman >/dev/null 2>&1; then echo runtime=podman; fi
units=''
for a in "$@"; do
  case $a in
    f:*) p=${a#f:}
         if [ -f "$p" ]; then s=$(sha256sum "$p" 2>/dev/null | cut -d' ' -f1); [ -n "$s" ] && echo "sum $s $p"; fi ;;
    u:*) units="$units ${a#u:}" ;;
    d:*) d=${a#d:}
         while [ ! -d "$d" ]; do d=$(dirname "$d"); done
         echo "free ${a#d:} $(df -Pk "$d" 2>/dev/null | awk 'NR==2 {print $4}')" ;;
  esac
done
if [ -n "$units" ] && command -v systemctl >/dev/null 2>&1; then
  # One systemctl call for all units (unit names never hold spaces).
  # shellcheck disable=SC2086
  systemctl show -p Id,ActiveState,UnitFileState -- $units 2>/dev/null | awk -F= '
    $1 == "Id" { id = $2 } $1 == "ActiveState" { act = $2 } $1 == "UnitFileState" { en = $2 }
    /^$/ { if (id != "") print "unit " id " " (act == "" ? "unknown" : act) " " (en == "" ? "none" : en); id = act = en = "" }
    END { if (id != "") print "unit " id " " (act == "" ? "unknown" : act) " " (en == "" ? "none" : en) }'
fi
if [ -r /etc/aami/installed.json ]; then echo "installed $(base64 -w0 < /etc/aami/installed.json)"; fi
echo probe=done
