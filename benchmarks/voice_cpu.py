"""Where the machine's CPU goes per request in voice_bench's phases (scratch)."""
from __future__ import annotations
import os, sys, time, asyncio, argparse, subprocess
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
import voice_bench as vb
from common import prepare_database, hotline_env, serving, hotline_command, add_server_options, ceiling_command, FLOOR_DSN

def cpu_by_group() -> dict[str, float]:
    tick = os.sysconf("SC_CLK_TCK")
    out = {"postgres": 0.0, "web": 0.0, "other": 0.0, "web_sys": 0.0, "pg_sys": 0.0}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            stat = open(f"/proc/{pid}/stat").read()
            cmd = open(f"/proc/{pid}/cmdline").read()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        t = (int(fields[11]) + int(fields[12])) / tick
        if "postgres" in stat.split(")")[0] or cmd.startswith("postgres"):
            out["postgres"] += t
            out["pg_sys"] += int(fields[12]) / tick
        elif "gunicorn" in cmd or "hotline" in cmd:
            out["web"] += t
            out["web_sys"] += int(fields[12]) / tick
        else:
            out["other"] += t
    return out

def steal():
    f = open("/proc/stat").readline().split()
    return int(f[8]), sum(int(x) for x in f[1:9])

def phase(base, name, load, conc):
    s0 = steal()
    before, t0 = cpu_by_group(), os.times()
    r = asyncio.run(vb.drive(name, base, load, conc, vb.gathered))
    after, t1 = cpu_by_group(), os.times()
    n = sum(len(x) for x in load)
    client = (t1.user + t1.system - t0.user - t0.system)
    parts = {k: (after[k] - before[k]) / n * 1e6 for k in after}
    s1 = steal()
    print(f"    steal {(s1[0]-s0[0])/max(1,(s1[1]-s0[1]))*100:.0f}% of all ticks")
    print(f"{r.line()}\n    per request: web {parts['web']:.0f} us (sys {parts['web_sys']:.0f}), postgres {parts['postgres']:.0f} us (sys {parts['pg_sys']:.0f}), client {client/n*1e6:.0f} us")
    return r

p = argparse.ArgumentParser(); p.add_argument("--calls", type=int, default=1500); p.add_argument("--port", type=int, default=7400)
add_server_options(p, database="hotline_bench_voice_cpu", redis_db=12)
a = p.parse_args()
url = prepare_database(a.postgres, a.database)
env = hotline_env(url, a.redis, "hotline-voice-cpu-")
n = a.calls
with serving(hotline_command(a.port, a), env, a.port) as base:
    phase(base, "warm-up", vb.choose_language(range(9_000_000, 9_000_200)), 50)
    phase(base, "incoming, new (A)", vb.incoming(range(3_000_000, 3_000_000 + n)), 50)
    phase(base, "incoming, new", vb.incoming(range(1_000_000, 1_000_000 + n)), 50)
    phase(base, "language chosen", vb.choose_language(range(1_000_000, 1_000_000 + n)), 50)
    if os.environ.get("PYSPY"):
        import re
        pids = [int(x) for x in os.listdir("/proc") if x.isdigit() and "serve" in open(f"/proc/{x}/cmdline").read() and "7400" in open(f"/proc/{x}/cmdline").read()]
        workers = sorted(pids)[1:]
        spy = subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record", "-p", str(workers[0]), "-d", "3", "-r", "200", "-f", "raw", "--gil", "-o", "/tmp/spy.txt"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    phase(base, "incoming, returning", vb.incoming(range(1_000_000, 1_000_000 + n)), 50)
    if os.environ.get("PYSPY"):
        spy.wait()
    phase(base, "navigation", vb.navigation(n), 50)
floor_env = {**env, FLOOR_DSN: env["DATABASE_URL"]}
with serving(ceiling_command(a.port + 1, a, "benchmarks.voice_bench:floor_app()"), floor_env, a.port + 1) as base:
    phase(base, "warm-up", vb.navigation(200), 50)
    phase(base, "floor", vb.incoming(range(n)), 50)
