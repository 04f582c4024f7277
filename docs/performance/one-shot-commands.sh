#!/usr/bin/env bash
# Times one-shot commands through the launcher: --help, send and who (kept session), N runs each, interleaved.
# Usage: docs/performance/one-shot-commands.sh FASTCHAT_CHECKOUT N   (starts its own server on 127.0.0.1:7499)
set -u
F="$1/fastchat"; N="${2:-20}"
W=$(mktemp -d); export XDG_CONFIG_HOME=$W/cfg
"$F" server --data "$W/data" --listen 127.0.0.1:7499 > "$W/server.log" 2>&1 &
SP=$!
for i in $(seq 1 50); do (exec 3<>/dev/tcp/127.0.0.1/7499) 2>/dev/null && break; sleep 0.2; done
FASTCHAT_PASSWORD=pw-same-1 "$F" register --server 127.0.0.1:7499 --user alice >/dev/null
FASTCHAT_PASSWORD=pw-same-1 "$F" register --server 127.0.0.1:7499 --user bob >/dev/null
t() { local s=$(date +%s%N); "$@" >/dev/null 2>&1; echo $(( ($(date +%s%N)-s)/1000000 )); }
export FASTCHAT_PASSWORD=pw-same-1
H=(); S=(); R=()
for i in $(seq 1 "$N"); do
  H+=($(t "$F" --help))
  S+=($(t "$F" send --server 127.0.0.1:7499 --user alice --to bob "message $i"))
  R+=($(t "$F" who --server 127.0.0.1:7499 --user bob))
done
stats() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1; s+=$1} END {printf "median %d ms, mean %d ms, min %d ms, max %d ms", a[int((NR+1)/2)], s/NR, a[1], a[NR]}'; }
echo "fastchat --help: $(stats "${H[@]}")"
echo "fastchat send (kept session): $(stats "${S[@]}")"
echo "fastchat who (kept session): $(stats "${R[@]}")"
kill $SP; wait $SP 2>/dev/null; rm -rf "$W"
