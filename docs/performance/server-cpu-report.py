#!/usr/bin/env python3
# Usage: server-cpu-report.py OUT.jsonl (what server-cpu-sample.py wrote).
# Per-message server CPU over the load window of a sample file: the seconds with traffic, without the first 3 (warm-up) and the last one.
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
rates = [(rows[i+1]["in"] - rows[i]["in"]) for i in range(len(rows) - 1)]
peak = max(rates)
active = [i for i, r in enumerate(rates) if r > 0.2 * peak]
first, last = active[0] + 3, active[-1]
a, b = rows[first], rows[last]
msgs = b["in"] - a["in"]; secs = b["t"] - a["t"]
total = sum(b["cpu"].values()) - sum(a["cpu"].values())
print(f"{secs:.0f} s, {msgs/secs:,.0f} msgs/s in, {(b['out']-a['out'])/secs:,.0f} pushes/s out; server CPU {total/secs*100:.0f} % of a core = {total/msgs*1e6:.0f} us per message")
parts = sorted(((b["cpu"].get(k, 0) - a["cpu"].get(k, 0), k) for k in b["cpu"]), reverse=True)
if "commits" in b:
    commits = b["commits"] - a["commits"]
    print(f"  {commits/secs:,.0f} commits/s, {msgs/max(commits, 1):.1f} messages per commit")
print("  " + "; ".join(f"{k} {v/msgs*1e6:.0f} us" for v, k in parts if v / msgs * 1e6 >= 1))
