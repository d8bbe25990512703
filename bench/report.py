"""Turns bench results into the printed table and BENCHMARKS.md.

BENCHMARKS.md = generated method, machine, results and targets, followed by
the hand-written analysis in bench/analysis.md (edit that file, not the output).
"""

import datetime
import os
import platform
import subprocess
import sys
from pathlib import Path
from statistics import median

MB = 1024 * 1024
IDEAL_W4 = 8 / 0.020  # threads / latency = 400 req/s


def _cmd(*args):
    try:
        return subprocess.run(args, capture_output=True, text=True, timeout=30).stdout.strip() or \
            subprocess.run(args, capture_output=True, text=True, timeout=30).stderr.strip()
    except OSError:
        return "n/a"


def machine():
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    mem = next((l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal")), "0")
    try:
        import requests
        req = requests.__version__
    except ImportError:
        req = "n/a"
    return {
        "cpu": f"{cpu}, {os.cpu_count()} logical CPUs",
        "memory": f"{int(mem) / 1024 / 1024:.1f} GiB",
        "os": f"{platform.system()} {platform.release()} ({_cmd('sh', '-c', '. /etc/os-release; echo $PRETTY_NAME')})",
        "rustc": _cmd("rustc", "-V"),
        "curl": " ".join(_cmd("curl", "--version").split()[:2]),
        "nginx": _cmd("nginx", "-v"),
        "python": f"{platform.python_version()}, requests {req}",
    }


def _ms(s):
    return "—" if s is None else f"{s * 1000:.1f} ms"


def _paired(rates, baseline):
    """The median of per-round ratios of two peers that ran in the same rounds."""
    return median(a / b for a, b in zip(rates, baseline, strict=True))


def _ratio_row(rows, targets, work, server, label, value, goal, ok):
    rows.append((work, server, label, f"{value:.2f}×", "", f"{goal}: {'MET' if ok else 'MISSED'}"))
    targets.append((work, server, label, f"{value:.2f}×", goal, ok))


def _upload_rows(rows, work, server, res, idle):
    for peer, m in res.items():
        extra = f" (in-process {_ms(m['call'])})" if m["call"] is not None else ""
        rows.append((work, server, peer, f"{_ms(m['wall'])} wall{extra}",
                     f"{m['rss']:.1f} ({m['rss'] - idle[peer]['rss']:+.1f})",
                     f"CPU {_ms(m['cpu'])}; idle run {_ms(idle[peer]['wall'])}, CPU {_ms(idle[peer]['cpu'])}; "
                     f"median of {m['reps']}"))


def build_rows(r):
    rows, targets = [], []   # rows: (work, server, peer, value, rss, note)
    for server, res in r["w1"].items():
        idle = r["idle"][server]
        _upload_rows(rows, "W1", server, res, idle)
        c, curl, py, req = res["C sample"], res["curl"], res["Python binding"], res["Python requests"]
        _ratio_row(rows, targets, "W1", server, "C sample wall ÷ curl wall", c["wall"] / curl["wall"], "≤ 1.2×",
                   c["wall"] / curl["wall"] <= 1.2)
        _ratio_row(rows, targets, "W1", server, "requests ÷ Python binding (in-process upsert)",
                   req["call"] / py["call"], "≥ 2×", req["call"] / py["call"] >= 2)
        rows.append(("W1", server, "requests ÷ Python binding (process wall)", f"{req['wall'] / py['wall']:.2f}×",
                     "", "info"))
        rows.append(("W1", server, "Python binding in-process ÷ curl in-process",
                     f"{py['call'] / curl['call']:.2f}×", "", "info: the encode curl does not do"))
        rows.append(("W1", server, "C sample CPU ÷ curl CPU", f"{c['cpu'] / curl['cpu']:.2f}×", "",
                     "info: process CPU time, insensitive to waiting"))
    for server, sizes in r["w2"].items():
        idle = r["idle"][server]
        for size, res in sizes.items():
            _upload_rows(rows, f"W2 {size} MB", server, res, idle)
            rows.append((f"W2 {size} MB", server, "C sample wall ÷ curl wall",
                         f"{res['C sample']['wall'] / res['curl']['wall']:.2f}×", "", "info"))
        worst = max([r["w1"][server]["C sample"]["rss"]] + [s["C sample"]["rss"] for s in sizes.values()])
        growth = worst - idle["C sample"]["rss"]
        rows.append(("W1/W2", server, f"C sample: idle RSS {idle['C sample']['rss']:.1f} MiB; worst peak",
                     f"+{growth:.2f} MiB", "", f"≤ +2 MiB: {'MET' if growth <= 2 else 'MISSED'}"))
        targets.append(("W1/W2", server, "C sample peak RSS over idle, worst size", f"+{growth:.2f} MiB",
                        "≤ +2 MiB", growth <= 2))
    if "w6" in r:  # downloads, next to the uploads (bench/downloads.py)
        import downloads
        w6_rows, w6_targets = downloads.rows(r["w6"])
        rows += w6_rows
        targets += w6_targets
    for server, res in r["w3"].items():
        for peer, m in res.items():
            note = f"{m['calls']} calls; best round {m['best_rps']:.0f} req/s; client CPU {m['client_cpu_ms']:.2f} ms/call"
            if m.get("connections") is not None:
                note += f"; {m['connections']} connection(s), sandbox CPU {m['server_cpu_ms']:.2f} ms/call"
            rows.append(("W3", server, peer, f"{m['rps']:.0f} req/s", "" if m["rss"] is None else f"{m['rss']:.1f}",
                         note))
        py = res["Python binding (1 client)"]["rps"]
        ses = res["requests.Session"]["rps"]
        cpc = res["curl, 1 process per call"]["rps"]
        _ratio_row(rows, targets, "W3", server, "Python binding ÷ requests.Session", py / ses, "≥ 3×", py / ses >= 3)
        _ratio_row(rows, targets, "W3", server, "Python binding ÷ curl per call", py / cpc, "≥ 10×", py / cpc >= 10)
        cpu = {k: v["client_cpu_ms"] for k, v in res.items()}
        rows.append(("W3", server, "client CPU per call: requests.Session ÷ Python binding",
                     f"{cpu['requests.Session'] / cpu['Python binding (1 client)']:.2f}×", "", "info"))
        rows.append(("W3", server, "client CPU per call: curl per call ÷ Python binding",
                     f"{cpu['curl, 1 process per call'] / cpu['Python binding (1 client)']:.2f}×", "", "info"))
    for server, o in r.get("w3_overhead", {}).items():
        work = "W3 logging overhead"
        for key, peer in (("before", "C loop, libdcams before issue 10"), ("now", "C loop, no log callback"),
                          ("logged", "C loop, info-level log callback")):
            rows.append((work, server, peer, f"{median(o[key]['rates']):.0f} req/s", "",
                         f"median of {o['rounds']} rounds of {o['calls_per_round']} calls; client CPU "
                         f"{median(o[key]['cpu_ms']):.3f} ms/call"))
        for key, label, goal, floor in (("now", "no log callback", "≥ 0.97×", 0.97),
                                        ("logged", "info-level callback", "≥ 0.90×", 0.90)):
            ratio = _paired(o[key]["rates"], o["before"]["rates"])
            _ratio_row(rows, targets, work, server, f"{label} ÷ before issue 10 (rate, paired)", ratio, goal,
                       ratio >= floor)
            cpu = _paired(o[key]["cpu_ms"], o["before"]["cpu_ms"])
            rows.append((work, server, f"{label} ÷ before issue 10 (client CPU per call, paired)", f"{cpu:.2f}×",
                         "", "info: lower is cheaper"))
    for size, res in r["w4"].items():
        single = res["C, 1 thread"]["rps"]
        work = f"W4 {size}"
        for peer, m in res.items():
            frac = m["rps"] / IDEAL_W4
            if peer == "C, 1 thread":
                note = f"{1000 / m['rps']:.1f} ms per call: 8 threads can reach at most {8 * m['rps']:.0f} req/s"
            else:
                note = (f"{frac:.2f} of ideal 400, {m['rps'] / (8 * single):.2f} of 8 × one thread; "
                        f"{m['connections']:.0f} connections / {m['calls']} calls")
            rows.append((work, "sandbox+20ms", peer, f"{m['rps']:.0f} req/s", "", note))
            if "1 client" in peer:
                ok = frac >= 0.9
                rows.append((work, "sandbox+20ms", f"{peer}: fraction of ideal", f"{frac:.2f}", "",
                             f"≥ 0.9: {'MET' if ok else 'MISSED'}"))
                targets.append((work, "sandbox+20ms", f"{peer}: fraction of 400 req/s", f"{frac:.2f}", "≥ 0.9", ok))
    w7 = r.get("w7")
    if w7:
        work, server = "W7 migration", "sandbox+20ms"
        rows.append((work, server, "dcams batch, 1,000 customers, 8 at a time", f"{w7['dcams_rps']:.0f} records/s",
                     f"{w7['rss_1000_mib']:.1f}", f"ideal 8 / (20 ms + U = {w7['upload_s'] * 1000:.1f} ms) = "
                     f"{w7['ideal_rps']:.0f} records/s"))
        rows.append((work, server, "ThreadPoolExecutor(8) + requests.Session", f"{w7['peer_rps']:.0f} records/s", "",
                     "the same CSV, images read, base64, JSON, POST"))
        frac = w7["fraction_of_ideal"]
        rows.append((work, server, "dcams batch: fraction of ideal", f"{frac:.2f}", "",
                     f"≥ 0.9: {'MET' if frac >= 0.9 else 'MISSED'}"))
        targets.append((work, server, "dcams batch: fraction of ideal", f"{frac:.2f}", "≥ 0.9", frac >= 0.9))
        _ratio_row(rows, targets, work, server, "dcams batch ÷ requests peer (paired)", w7["paired_ratio"], "≥ 2×",
                   w7["paired_ratio"] >= 2)
        for rows_n, key in (("1,000", "rss_1000_mib"), ("100,000", "rss_100000_mib")):
            ok = w7[key] <= 32
            rows.append((work, "sandbox (hashes)" if rows_n != "1,000" else server,
                         f"dcams batch peak RSS, {rows_n} rows", f"{w7[key]:.1f} MiB", f"{w7[key]:.1f}",
                         f"≤ 32 MiB: {'MET' if ok else 'MISSED'}"))
            targets.append((work, "dcams batch", f"peak RSS, {rows_n} rows", f"{w7[key]:.1f} MiB", "≤ 32 MiB", ok))
    for group, label in (("body", "W5 wall"), ("body_cpu", "W5 CPU")):
        for name, m in r["w5"].get(group, {}).items():
            rows.append((label, "in-process", name, f"{m['mb_s']:.0f} MB/s", "",
                         f"{_ms(m['median_s'])} per 4.8 MB image (criterion median)"))
    paired = r["w5"]["paired"]
    for name, q in paired["speed_ratio"].items():
        work = "W5 paired"
        if name.startswith("upsert"):
            _ratio_row(rows, targets, work, "in-process", f"{name} ÷ base64_encode_slice, caller CPU", q["cpu"],
                       "≥ 0.8×", q["cpu"] >= 0.8)
        else:
            rows.append((work, "in-process", f"{name} ÷ base64_encode_slice, caller CPU", f"{q['cpu']:.2f}×", "", "info"))
        rows.append((work, "in-process", f"{name} ÷ base64_encode_slice, wall", f"{q['wall']:.2f}×", "",
                     f"info; median of {paired['rounds']} interleaved rounds"))
    return rows, targets


def text_table(rows):
    head = ("work", "server", "peer / ratio", "time or rate", "peak RSS MiB (+over idle)", "note / target")
    widths = [max(len(str(x[i])) for x in rows + [head]) for i in range(len(head))]
    line = lambda x: "  ".join(str(v).ljust(w) for v, w in zip(x, widths)).rstrip()
    out = [line(head), "  ".join("-" * w for w in widths)]
    prev = None
    for row in rows:
        if prev is not None and row[0] != prev:
            out.append("")
        prev = row[0]
        out.append(line(row))
    return "\n".join(out)


def md_table(head, rows):
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(str(v) for v in row) + " |" for row in rows]
    return "\n".join(out)


def emit(r, path):
    rows, targets = build_rows(r)
    print(text_table(rows))
    missed = [t for t in targets if not t[5]]
    print(f"\n{len(targets) - len(missed)} of {len(targets)} targets met; BENCHMARKS.md written "
          f"(run took {r['elapsed_s']:.0f} s).")
    here = Path(__file__).resolve().parent
    cfg = r["config"]
    mach = machine()
    md = [
        "# Benchmarks",
        "",
        f"Generated by `make bench` on {datetime.date.today()} (run time {r['elapsed_s']:.0f} s, build excluded). "
        "Do not edit by hand: the numbers come from `bench/run.py`, the analysis from `bench/analysis.md`.",
        "",
        (here / "method.md").read_text().strip().format(
            **cfg, photo=r["inputs"]["photo_origin"], w3_rounds=cfg["w3_n"] // cfg["w3_batch"],
            w2_runs=", ".join(f"{k} MB: {v}" for k, v in cfg["w2_reps"].items())),
        "",
        "## Machine",
        "",
        md_table(("", ""), list(mach.items()) + [
            ("load average (1, 5, 15 min) at start / end of the run",
             f"{' '.join(r['loadavg']['start'])} / {' '.join(r['loadavg']['end'])}")]),
        "",
        "## Results",
        "",
        "Times are medians over the runs; `wall` is a fresh process per upsert (exec to exit), "
        "`in-process` is the upsert call alone, timed inside the peer (curl: its `time_total`). "
        "`CPU` is the process's user + system time (W3: the client's CPU per call). Peak RSS is the peer's "
        "`ru_maxrss`, taken by a tiny launcher (`bench/c/maxrss.c`: a child forked from the large driver would "
        "inherit the driver's RSS high-water mark); `(+over idle)` subtracts the same peer's run without an "
        "upload. W3 `best round` is the fastest round, for a feel of the noise.",
        "",
        md_table(("work", "server", "peer / ratio", "time or rate", "peak RSS MiB (+over idle)", "note / target"), rows),
        "",
        f"Sink check (48 MB image, {r['sink_check']['body_bytes']} bytes of JSON): all but the last body byte "
        f"sent, then 0.5 s of waiting: {'no answer' if not r['sink_check']['answer_before_last_byte'] else 'AN EARLY ANSWER'}; "
        f"after the last byte: `{r['sink_check']['status_line']}`; nginx logged a request of "
        f"{r['sink_check']['nginx_request_length']} bytes. "
        f"{'The sink answers only after reading the whole body.' if r['sink_check']['ok'] else 'CHECK FAILED.'}",
        "",
        "## Targets",
        "",
        md_table(("work", "server", "measure", "value", "target", "result"),
                 [t[:5] + ("met" if t[5] else "**MISSED**",) for t in targets]),
        "",
        f"{len(targets) - len(missed)} of {len(targets)} met."
        + ("" if not missed else " Missed: " + "; ".join(f"{t[0]} {t[1]} {t[2]} ({t[3]}, target {t[4]})"
                                                          for t in missed) + ". Why: see the analysis."),
        "",
        (here / "analysis.md").read_text().strip(),
        "",
    ]
    Path(path).write_text("\n".join(md))
    sys.stdout.flush()


if __name__ == "__main__":
    # Re-render from saved results (e.g. after editing bench/analysis.md):
    #   python3 bench/report.py [target/bench/results.json]
    import json
    root = Path(__file__).resolve().parents[1]
    src = Path(sys.argv[1]) if len(sys.argv) > 1 else root / "target" / "bench" / "results.json"
    emit(json.loads(src.read_text()), root / "BENCHMARKS.md")
