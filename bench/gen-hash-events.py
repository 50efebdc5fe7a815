#!/usr/bin/env python3
"""Writes N flow events (JSON Lines, fixed seed) whose process, parent and
grandparent are drawn from the given executables, for bench/hash.sh.

usage: gen-hash-events.py COUNT SEED PID:DEV:INO:EXE [PID:DEV:INO:EXE...]
"""
import json
import random
import sys


def main():
    count, seed = int(sys.argv[1]), int(sys.argv[2])
    procs = []
    for spec in sys.argv[3:]:
        pid, dev, ino, exe = spec.split(":", 3)
        procs.append({"pid": int(pid), "comm": exe.rsplit("/", 1)[-1][:15], "exe": exe,
                      "dev": int(dev), "ino": int(ino), "cmdline": exe + " --flag value"})
    rng = random.Random(seed)
    out = sys.stdout
    t0 = 1795550000.0
    for n in range(count):
        p, parent, grand = (rng.choice(procs) for _ in range(3))
        ev = {"type": "flow", "time": round(t0 + n * 0.001, 6), "start": round(t0 + n * 0.0005, 6),
              "pid": p["pid"], "ppid": parent["pid"], "uid": 1000,
              "comm": p["comm"], "exe": p["exe"], "cmdline": p["cmdline"],
              "dev": p["dev"], "ino": p["ino"], "parent": parent, "grandparent": grand,
              "netns": 4026531840, "cgroup": "/user.slice/user-1000.slice/session-2.scope",
              "family": "ipv4", "proto": rng.choice(["tcp", "udp"]),
              "laddr": "10.0.%d.%d" % (rng.randrange(256), rng.randrange(256)), "lport": rng.randrange(1024, 65536),
              "raddr": "93.184.%d.%d" % (rng.randrange(256), rng.randrange(256)), "rport": rng.choice([53, 80, 443]),
              "domain": "host%d.example.org" % rng.randrange(1000),
              "sent": rng.randrange(1 << 20), "recv": rng.randrange(1 << 24), "events": rng.randrange(1, 50)}
        out.write(json.dumps(ev, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
