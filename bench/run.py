#!/usr/bin/env python3
"""`make bench` driver: runs W1-W7 (W7: bench/w7.py) against the sandbox and the nginx sink,
prints one table and writes BENCHMARKS.md (see bench/report.py).

Prerequisites (bench/run.sh sees to them): `cargo build --release --workspace`,
the C sample, target/bench/dcams_bench, curl, nginx, Python `requests`.
Repetitions can be scaled with BENCH_SCALE (e.g. 0.25 for a smoke run).
"""

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data  # noqa: E402
import downloads  # noqa: E402
import report  # noqa: E402
from measure import median, run, run_json  # noqa: E402
from servers import NginxSink, Sandbox, answers_after_whole_body  # noqa: E402
import w7  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "target" / "bench"
PY = sys.executable
CLI = str(ROOT / "bindings/c/build/dcams_cli")
LOOP = str(WORK / "dcams_bench")
# The same loop against libdcams from before issue 10 (bench/run.sh builds it).
LOOP_BEFORE = os.environ.get("BENCH_BEFORE_LOOP", str(WORK / "dcams_bench_before"))
PEERS = ROOT / "bench" / "peers"
SCALE = float(os.environ.get("BENCH_SCALE", "1"))


def n(x, floor=1):
    return max(floor, int(round(x * SCALE)))


W1_REPS = n(7, 3)
W2_REPS = {"0.3": n(7, 3), "4.8": n(5, 3), "48": n(3, 1)}
W3_N, W3_BATCH, W3_CURL_N = n(2000, 40), n(400, 20), n(200, 20)
W3_OVERHEAD_ROUNDS = n(21, 5)
W4_THREADS, W4_PER_THREAD, W4_REPS = 8, n(50, 10), n(3, 1)


def env_for(endpoint):
    env = dict(os.environ, DCAMS_ENDPOINT=endpoint, DCAMS_USER=data.USER, DCAMS_PASS=data.PASS,
               DCAMS_LIB=str(ROOT / "target/release/libdcams.so"), PYTHONDONTWRITEBYTECODE="1")
    return env


def curl_cmd(endpoint, body, out):
    return ["curl", "-sS", "-f", "-o", out, "-w", "%{time_total}", "-X", "POST", "-T", body,
            "-H", "Content-Type: application/json", "-H", "Accept: application/json", "-H", "Expect:",
            endpoint]


def children_cpu():
    """User + system CPU seconds of all finished children of this driver."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def one_shot(peer, endpoint, front, back, body):
    """(command, how to read its in-process upsert time from stdout) for one upsert."""
    if peer == "C sample":
        cmd = [CLI, "upsert", "--email", "bench-c@example.com", "--front", front,
               "--fn", "Ada", "--ln", "Example", "--dob", "19800214"] + (["--back", back] if back else [])
        return cmd, lambda out: None
    if peer in ("Python binding", "Python requests"):
        script = "binding_peer.py" if peer == "Python binding" else "requests_peer.py"
        return [PY, str(PEERS / script), "once", front] + ([back] if back else []), \
            lambda out: json.loads(out.strip().splitlines()[-1])["call"]
    return curl_cmd(endpoint, body, str(WORK / "curl-reply.json")), lambda out: float(out)


def idle_cmd(peer, endpoint, front):
    """A run of the peer that does everything but the upload (its RSS baseline)."""
    if peer == "C sample":  # validation error: library loaded, client made, nothing sent
        return [CLI, "upsert", "--email", "not-an-email", "--front", front], 2
    if peer == "Python binding":
        return [PY, str(PEERS / "binding_peer.py"), "idle"], 0
    if peer == "Python requests":
        return [PY, str(PEERS / "requests_peer.py"), "idle"], 0
    return ["curl", "-sS", "-o", "/dev/null", "-X", "POST", "-d", "{}", endpoint], 0


ONE_SHOT_PEERS = ["C sample", "Python binding", "Python requests", "curl"]


def check_curl_reply():
    text = (WORK / "curl-reply.json").read_text()
    if '"Success"' not in text:
        raise RuntimeError(f"curl got an unexpected reply: {text[:200]}")


def uploads(server, inputs, front, back, body, reps):
    """Each one-shot peer `reps` times (interleaved); medians of wall, in-process time, RSS."""
    env = env_for(server.endpoint)
    got = {p: {"wall": [], "call": [], "rss": [], "cpu": []} for p in ONE_SHOT_PEERS}
    for _ in range(reps):
        for peer in ONE_SHOT_PEERS:
            cmd, call_of = one_shot(peer, server.endpoint, front, back, body)
            r = run(cmd, env)
            if peer == "curl":
                check_curl_reply()
            got[peer]["wall"].append(r.wall)
            got[peer]["rss"].append(r.rss)
            got[peer]["cpu"].append(r.cpu)
            c = call_of(r.out)
            if c is not None:
                got[peer]["call"].append(c)
    return {p: {"wall": median(v["wall"]), "call": median(v["call"]) if v["call"] else None,
                "rss": max(v["rss"]), "cpu": median(v["cpu"]), "reps": reps} for p, v in got.items()}


def idle(server, front):
    """Each peer's run without an upload: peak RSS baseline and fixed start-up cost."""
    env = env_for(server.endpoint)
    out = {}
    for peer in ONE_SHOT_PEERS:
        cmd, status = idle_cmd(peer, server.endpoint, front)
        runs = [run(cmd, env, expect=status) for _ in range(3)]
        out[peer] = {"rss": median([r.rss for r in runs]), "wall": median([r.wall for r in runs]),
                     "cpu": median([r.cpu for r in runs])}
    return out


def verify_sink(sink, body):
    """The sink must answer only after the whole body arrived (48 MB image, 64 MB of JSON)."""
    res = answers_after_whole_body(sink.endpoint, body)
    res["nginx_request_length"] = int(sink.access_log()[-1].split()[0])
    res["ok"] = res["ok"] and res["nginx_request_length"] >= res["body_bytes"]
    return res


class ServerCost:
    """Connections opened and CPU used by the sandbox during a block (None for nginx)."""

    def __init__(self, server):
        self.server = server if isinstance(server, Sandbox) else None

    def __enter__(self):
        if self.server:
            self.before = (self.server.stats()["connections"], self.server.cpu_seconds())
        return self

    def __exit__(self, *exc):
        if self.server and exc[0] is None:
            conns, cpu = self.server.stats()["connections"], self.server.cpu_seconds()
            # minus the connection of the closing /_sandbox/stats request itself
            self.connections, self.cpu = conns - self.before[0] - 1, cpu - self.before[1]
        return False


def loops(server, inputs):
    """W3: sequential upserts of the 300 KB JPEG on one client: W3_N calls per peer, as
    rounds of W3_BATCH calls (one process and one client each, after 20 warm-up calls),
    rounds interleaved across peers; req/s = median over rounds. curl: one process per call."""
    env = env_for(server.endpoint)
    front = inputs["files"]["0.3"]
    batch = str(W3_BATCH)
    progs = {
        "C loop (1 client)": [LOOP, "loop", batch, batch, front],
        "Python binding (1 client)": [PY, str(PEERS / "binding_peer.py"), "loop", batch, batch, front],
        "requests.Session": [PY, str(PEERS / "requests_peer.py"), "loop", batch, batch, front],
        "curl, 1 process per call": None,
    }
    curl_batch = max(1, W3_CURL_N * W3_BATCH // W3_N)
    got = {name: {"rates": [], "client_cpu": [], "rss": [], "conns": 0, "cpu": 0.0, "calls": 0} for name in progs}
    for round_no in range(W3_N // W3_BATCH):
        # Every other round in reverse order: no peer always runs right after the same one.
        order = list(progs.items())
        if round_no % 2:
            order.reverse()
        for name, cmd in order:
            g = got[name]
            with ServerCost(server) as cost:
                if cmd:
                    r = run_json(cmd, env)
                    g["rates"].append(W3_BATCH / r.out["batches"][0])
                    g["client_cpu"].append(r.out["cpu"][0] / W3_BATCH)
                    g["rss"].append(r.rss)
                    g["calls"] += W3_BATCH + 20
                else:
                    t0, c0 = time.perf_counter(), children_cpu()
                    for _ in range(curl_batch):
                        subprocess.run(curl_cmd(server.endpoint, inputs["bodies"]["0.3"], "/dev/null"), env=env,
                                       check=True, stdout=subprocess.DEVNULL)
                    g["rates"].append(curl_batch / (time.perf_counter() - t0))
                    g["client_cpu"].append((children_cpu() - c0) / curl_batch)
                    g["calls"] += curl_batch
            if cost.server:
                g["conns"] += cost.connections
                g["cpu"] += cost.cpu
    res = {}
    for name, g in got.items():
        timed = g["calls"] if progs[name] is None else W3_N
        res[name] = {"rps": median(g["rates"]), "calls": timed, "rss": max(g["rss"]) if g["rss"] else None,
                     "best_rps": max(g["rates"]), "client_cpu_ms": 1000 * median(g["client_cpu"]),
                     "connections": g["conns"] if isinstance(server, Sandbox) else None,
                     "server_cpu_ms": 1000 * g["cpu"] / g["calls"] if isinstance(server, Sandbox) else None}
    return res


def overhead(server, inputs):
    """W3 logging overhead: the C loop against libdcams from before issue 10, against
    this libdcams with no log callback, and with an info-level callback, back to back
    in each of W3_OVERHEAD_ROUNDS rounds (the order rotating), so each round's
    ratios are paired under the same load."""
    env = env_for(server.endpoint)
    batch, front = str(W3_BATCH), inputs["files"]["0.3"]
    progs = {"before": [LOOP_BEFORE, "loop", batch, batch, front], "now": [LOOP, "loop", batch, batch, front],
             "logged": [LOOP, "loop-log", batch, batch, front]}
    got = {name: {"rates": [], "cpu_ms": []} for name in progs}
    for round_no in range(W3_OVERHEAD_ROUNDS):
        names = list(progs)
        names = names[round_no % 3:] + names[:round_no % 3]
        for name in names:
            r = run_json(progs[name], env)
            if name == "logged" and r.out.get("log_lines", 0) < 3 * W3_BATCH:
                raise RuntimeError(f"the log callback saw {r.out.get('log_lines')} lines")
            got[name]["rates"].append(W3_BATCH / r.out["batches"][0])
            got[name]["cpu_ms"].append(1000 * r.out["cpu"][0] / W3_BATCH)
    return {"rounds": W3_OVERHEAD_ROUNDS, "calls_per_round": W3_BATCH, **got}


def concurrency(sandbox, inputs):
    """W4: 8 threads sharing one client against the sandbox with 20 ms latency,
    with a 1 KiB and the 300 KB image; plus one thread alone (per-call time)."""
    env = env_for(sandbox.endpoint)
    t, per = str(W4_THREADS), str(W4_PER_THREAD)
    res = {}
    for size, front in (("1 KB", inputs["files"]["tiny"]), ("0.3 MB", inputs["files"]["0.3"])):
        progs = {
            "C, 1 thread": [LOOP, "threads", "1", per, front],
            "C pthreads (1 client)": [LOOP, "threads", t, per, front],
            "Python binding threads (1 client)": [PY, str(PEERS / "binding_peer.py"), "threads", t, per, front],
            "requests, 1 Session per thread": [PY, str(PEERS / "requests_peer.py"), "threads", t, per, front],
        }
        got = {name: ([], []) for name in progs}
        for rep in range(W4_REPS):  # interleaved, so drifting load hits every peer alike
            for name, cmd in progs.items():
                if name == "C, 1 thread" and rep:
                    continue
                with ServerCost(sandbox) as cost:
                    out = run_json(cmd, env).out
                got[name][0].append(out["calls"] / out["elapsed"])
                got[name][1].append(cost.connections)
        res[size] = {name: {"rps": median(rates), "calls": W4_THREADS * W4_PER_THREAD if name != "C, 1 thread"
                            else W4_PER_THREAD, "connections": median(conns)}
                     for name, (rates, conns) in got.items()}
    return res


def micro(inputs):
    """W5: criterion benches/body.rs; MB/s from each benchmark's median."""
    paired = WORK / "paired.json"
    paired.unlink(missing_ok=True)
    env = dict(os.environ, DCAMS_BENCH_FRONT=inputs["files"]["4.8"], DCAMS_BENCH_PAIRED_OUT=str(paired))
    subprocess.run(["cargo", "bench", "-p", "dcams-client", "--bench", "body", "--", "--noplot"], cwd=ROOT, env=env, check=True,
                   stdout=sys.stderr)
    res = {}
    for group in ("body", "body_cpu"):
        for bench_dir in sorted((ROOT / "target/criterion" / group).glob("*/new")):
            est = json.loads((bench_dir / "estimates.json").read_text())
            meta = json.loads((bench_dir / "benchmark.json").read_text())
            nbytes = (meta.get("throughput") or {}).get("Bytes")
            secs = est["median"]["point_estimate"] / 1e9
            res.setdefault(group, {})[meta["function_id"]] = {
                "median_s": secs, "bytes": nbytes, "mb_s": nbytes / secs / 1e6 if nbytes else None}
    res["paired"] = json.loads(paired.read_text())
    return res


def main():
    t_start = time.time()
    load_start = open("/proc/loadavg").read().split()[:3]
    if float(load_start[0]) > 0.5 * (os.cpu_count() or 1):
        print(f"[bench] warning: load average {load_start[0]} on {os.cpu_count()} CPUs: other work will "
              "add noise (recorded in BENCHMARKS.md)", file=sys.stderr)
    inputs = data.prepare(WORK / "data")
    results = {"inputs": inputs, "config": {
        "w1_reps": W1_REPS, "w2_reps": W2_REPS, "w3_n": W3_N, "w3_batch": W3_BATCH,
        "w3_overhead_rounds": W3_OVERHEAD_ROUNDS,
        "w3_curl_n": W3_CURL_N, "w4_threads": W4_THREADS, "w4_per_thread": W4_PER_THREAD,
        "w4_reps": W4_REPS}}
    f, b = inputs["files"], inputs["bodies"]
    servers = [Sandbox(WORK / "sandbox"), NginxSink(WORK / "nginx")]
    try:
        for s in servers:
            print(f"[bench] {s.name}: W1 phone upload", file=sys.stderr)
            results.setdefault("w1", {})[s.name] = uploads(s, inputs, f["4.8"], f["back"], b["w1"], W1_REPS)
            results.setdefault("idle", {})[s.name] = idle(s, f["0.3"])
            for size in ("0.3", "4.8", "48"):
                print(f"[bench] {s.name}: W2 {size} MB", file=sys.stderr)
                results.setdefault("w2", {}).setdefault(s.name, {})[size] = uploads(
                    s, inputs, f[size], None, b[size], W2_REPS[size])
            if isinstance(s, NginxSink):
                results["sink_check"] = verify_sink(s, b["48"])
            print(f"[bench] {s.name}: W3 sequential upserts", file=sys.stderr)
            results.setdefault("w3", {})[s.name] = loops(s, inputs)
            print(f"[bench] {s.name}: W3 logging overhead (libdcams before issue 10, no callback, callback)",
                  file=sys.stderr)
            results.setdefault("w3_overhead", {})[s.name] = overhead(s, inputs)
    finally:
        for s in servers:
            s.stop()
    print("[bench] W4 concurrency (sandbox, 20 ms latency)", file=sys.stderr)
    slow = Sandbox(WORK / "sandbox", latency_ms=20)
    try:
        results["w4"] = concurrency(slow, inputs)
    finally:
        slow.stop()
    print("[bench] W6 getDocumentImages of two 48 MB images (sandbox)", file=sys.stderr)
    results["w6"] = downloads.measure(n(3, 2))
    print("[bench] W7 migration (dcams batch vs ThreadPoolExecutor + requests; peak RSS)", file=sys.stderr)
    results["w7"] = w7.measure(WORK, n(3, 1))
    print("[bench] W5 criterion micro-benchmarks", file=sys.stderr)
    results["w5"] = micro(inputs)
    results["elapsed_s"] = time.time() - t_start
    results["loadavg"] = {"start": load_start, "end": open("/proc/loadavg").read().split()[:3]}
    (WORK / "results.json").write_text(json.dumps(results, indent=1))
    report.emit(results, ROOT / "BENCHMARKS.md")


if __name__ == "__main__":
    main()
