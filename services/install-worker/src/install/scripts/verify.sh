# AAMI verify (bash, run with sudo so the journal is readable). Arguments:
#   u:UNIT             the unit must be active
#   m:PORT:TEXT        http://127.0.0.1:PORT/metrics must answer and contain TEXT
# Waits up to $1 seconds (first argument) for everything to come up. Output, one line each:
#   unit UNIT STATE | metrics PORT ok BYTES | metrics PORT fail WHY | journal UNIT BASE64(tail)
# Exit 0 when all passed, 1 otherwise.
set -u
wait_s=$1; shift
fetch() {
  if command -v curl >/dev/null 2>&1; then curl -fsS --max-time 5 "http://127.0.0.1:$1/metrics"; return; fi
  if command -v wget >/dev/null 2>&1; then wget -qO- -T 5 "http://127.0.0.1:$1/metrics"; return; fi
  # Neither: plain HTTP/1.0 over bash's /dev/tcp, headers dropped.
  exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
  printf 'GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3
  timeout 5 cat <&3 | tr -d '\r' | sed '1,/^$/d'
  exec 3<&-
}
deadline=$(( $(date +%s) + wait_s ))
failed=0
for a in "$@"; do
  case $a in
    u:*) u=${a#u:}
         while :; do
           st=$(systemctl is-active "$u" 2>/dev/null); st=${st:-unknown}
           [ "$st" = active ] && break
           [ "$(date +%s)" -ge "$deadline" ] && break
           sleep 0.5
         done
         echo "unit $u $st"
         if [ "$st" != active ]; then
           failed=1
           echo "journal $u $(journalctl -u "$u" -n 15 --no-pager -o cat 2>&1 | tail -n 15 | base64 -w0)"
         fi ;;
    m:*) rest=${a#m:}; port=${rest%%:*}; text=${rest#*:}
         why='no answer'
         while :; do
           out=$(fetch "$port" 2>/dev/null) && case $out in *"$text"*) why=ok ;; *) why="answered without $text" ;; esac
           [ "$why" = ok ] && break
           [ "$(date +%s)" -ge "$deadline" ] && break
           sleep 0.5
         done
         if [ "$why" = ok ]; then echo "metrics $port ok ${#out}"; else failed=1; echo "metrics $port fail $why"; fi ;;
  esac
done
exit $failed
