#!/usr/bin/env python3
# Usage: server-cpu-sample.py SERVER_PID ADMIN_HOST:PORT OUT.jsonl (stop it with kill when the load run is over).
# Samples a server's CPU (whole process and per thread group) and its message counters once a second, until killed.
import os, re, sys, time, urllib.request, json
pid = int(sys.argv[1]); admin = sys.argv[2]; out = open(sys.argv[3], "w")
tick = os.sysconf("SC_CLK_TCK")
def groups():
    g = {}
    for t in os.listdir(f"/proc/{pid}/task"):
        try:
            st = open(f"/proc/{pid}/task/{t}/stat").read()
        except FileNotFoundError:
            continue
        comm = st[st.index("(") + 1:st.rindex(")")]
        rest = st[st.rindex(")") + 2:].split()
        cpu = (int(rest[11]) + int(rest[12])) / tick
        name = re.sub(r"[-#]?\d+$", "", comm)
        g[name] = g.get(name, 0) + cpu
    return g
def counter(m, name):
    v = re.search(rf"^{name} (\S+)", m, re.M)
    return float(v.group(1)) if v else 0.0
while True:
    m = urllib.request.urlopen(f"http://{admin}/metrics").read().decode()
    out.write(json.dumps({"t": time.time(), "in": counter(m, "fastchat_messages_in_total"), "out": counter(m, "fastchat_messages_out_total"),
                          "commits": counter(m, "fastchat_db_write_batch_size_count"), "cpu": groups()}) + "\n"); out.flush()
    time.sleep(1)
