#!/usr/bin/env bash
# One fault under load on a two-node cluster of FASTCHAT_CHECKOUT, with a nats-server, a PostgreSQL database
# and (for pg-cut) a TCP proxy of its own, all on loopback:
#   fastchat loadgen --pattern odd-even --clients 20 --rate 200 --duration 40 against both nodes (balanced
#   round-robin), and 10 s into the timed window one of these, lasting 15 s:
#     kill       kill -9 of node n2 (not started again)
#     pause      kill -STOP of node n2, then kill -CONT
#     nats-keep  kill -9 of nats-server, started again with its store
#     nats-wipe  kill -9 of nats-server, started again with its store deleted
#     pg-cut     the nodes' way to PostgreSQL (a socat proxy) killed, then started again
# Prints the loadgen summary, acknowledgements per second (before, during, after the fault), the longest
# time without an ack, and how long after the fault ended `fastchat who --online` showed the 20 load users
# online from both live nodes.
# Usage: docs/performance/faults.sh FASTCHAT_CHECKOUT FAULT
set -u
F="$1/fastchat"; FAULT="$2"
W=$(mktemp -d); export XDG_CONFIG_HOME=$W/cfg
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
NP=$(free_port); PP=$(free_port); P1=$(free_port); P2=$(free_port)
PT=""; "$F" loadgen --help 2>/dev/null | grep -q insecure-plaintext && PT="--insecure-plaintext"
DB="fc_faults_$$"
psql -q -h 127.0.0.1 -U postgres -c "create database $DB" >/dev/null
nats() { nats-server -a 127.0.0.1 -p "$NP" -js -sd "$W/nats" >/dev/null 2>&1 & NATS=$!; sleep 0.5; }
proxy() { socat TCP-LISTEN:"$PP",bind=127.0.0.1,reuseaddr,fork TCP:127.0.0.1:5432 & PROXY=$!; sleep 0.3; }
nats; proxy
node() { # id port
  "$F" server $PT --listen 127.0.0.1:"$2" --data "$W/$1" --node-id "$1" --nats nats://127.0.0.1:"$NP" \
    --db "jdbc:postgresql://127.0.0.1:$PP/$DB?user=postgres" --set cluster="faults$$" --set node-timeout=3s \
    --set send-rate=100000 --set send-burst=100000 --set balance=round-robin > "$W/$1.log" 2>&1 &
  echo $!
}
N1=$(node n1 "$P1"); N2=$(node n2 "$P2")
for p in "$P1" "$P2"; do for i in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/"$p") 2>/dev/null && break; sleep 0.2; done; done
"$F" loadgen $PT --server 127.0.0.1:"$P1",127.0.0.1:"$P2" --pattern odd-even --clients 20 --rate 200 --duration 40 \
  --warmup 2 --out "$W/lg" > "$W/loadgen.out" 2>&1 &
LG=$!
# The run (2 s of warm-up, then the timed window) starts when the clients are ready; the fault comes 10 s into the window.
for i in $(seq 1 1200); do grep -q "clients ready" "$W/loadgen.out" 2>/dev/null && break; sleep 0.1; done
sleep 12
FAULT_AT=$(date +%s.%N)
case "$FAULT" in
  kill) kill -9 "$N2" ;;
  pause) kill -STOP "$N2" ;;
  nats-keep|nats-wipe) kill -9 "$NATS"; wait "$NATS" 2>/dev/null ;;
  pg-cut) pkill -9 -P "$PROXY"; kill -9 "$PROXY"; wait "$PROXY" 2>/dev/null ;;
esac
sleep 15
case "$FAULT" in
  pause) kill -CONT "$N2" ;;
  nats-keep) nats ;;
  nats-wipe) rm -rf "$W/nats"; nats ;;
  pg-cut) proxy ;;
esac
ENDED_AT=$(date +%s.%N)
LIVE=("$P1"); [ "$FAULT" = kill ] || LIVE+=("$P2")
PRESENCE="not within 20 s"
while [ "$(echo "$(date +%s.%N) - $ENDED_AT < 20" | bc)" = 1 ]; do
  ok=1
  for p in "${LIVE[@]}"; do
    n=$(FASTCHAT_PASSWORD=loadgen-lg0 timeout 5 "$F" who $PT --server 127.0.0.1:"$p" --user lg0 --online 2>/dev/null | grep -cE '\blg[0-9]+\b')
    [ "$n" -ge 20 ] || ok=0
  done
  if [ $ok = 1 ]; then PRESENCE=$(echo "$(date +%s.%N) - $ENDED_AT" | bc); break; fi
  sleep 0.5
done
wait $LG
echo "fault: $FAULT at $(echo "$FAULT_AT" | cut -c1-14), 15 s"
cat "$W/loadgen.out" | grep -A3 "offered" | head -4
echo "presence right from every live node: $PRESENCE s after the fault ended"
python3 - "$W/lg/timeline.csv" <<'EOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
acked = [int(r.get("acked", 0)) for r in rows]
print("acks per second:", " ".join(map(str, acked)))
before = acked[3:12]; during = acked[12:27]  # the timeline counts the 2 s of warm-up too
if before and during:
    b = sum(before) / len(before); d = sum(during) / len(during)
    print(f"acked/s before the fault {b:.0f}, during it {d:.0f} ({100 * d / b:.0f}%)")
run = longest = 0
for a in acked:
    run = run + 1 if a == 0 else 0
    longest = max(longest, run)
print(f"longest time without an ack: {longest} s (whole seconds)")
EOF
kill "$N1" "$N2" "$NATS" "$PROXY" 2>/dev/null; kill -CONT "$N2" 2>/dev/null; wait 2>/dev/null
psql -q -h 127.0.0.1 -U postgres -c "drop database $DB with (force)" >/dev/null 2>&1
cp "$W/lg/summary.json" "/tmp/faults-$FAULT-summary.json" 2>/dev/null; cp "$W/n1.log" "/tmp/faults-$FAULT-n1.log" 2>/dev/null
rm -rf "$W"
