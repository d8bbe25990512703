"""Running a peer once: wall time, peak RSS and its stdout.

Each command runs under target/bench/maxrss (bench/c/maxrss.c), which forks
it from a tiny process and reports wait4's ru_maxrss. Measuring from this
(large) Python driver would be wrong: Linux carries the parent's RSS
high-water mark into a forked child's ru_maxrss.
"""

import json
import statistics
from collections import namedtuple
import subprocess
import tempfile
from pathlib import Path

LAUNCHER = str(Path(__file__).resolve().parents[1] / "target" / "bench" / "maxrss")


class PeerFailed(RuntimeError):
    pass


#: wall seconds, peak RSS MiB, stdout text, CPU seconds (user + system) of the command.
Run = namedtuple("Run", "wall rss out cpu")


def run(cmd, env=None, expect=0):
    """Runs ``cmd``; returns a :class:`Run`.

    ``expect`` is the exit status required (None: any).
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r") as usage:
        proc = subprocess.run([LAUNCHER, usage.name] + list(cmd), env=env, stdout=out, stderr=err,
                              stdin=subprocess.DEVNULL)
        out.seek(0)
        err.seek(0)
        text = out.read().decode(errors="replace")
        if expect is not None and proc.returncode != expect:
            raise PeerFailed(f"{cmd[0]} exited {proc.returncode} (wanted {expect}): "
                             f"{err.read().decode(errors='replace')[-600:]}{text[-300:]}")
        wall, rss_kib, cpu = usage.read().split()
    return Run(float(wall), int(rss_kib) / 1024.0, text, float(cpu))


def run_json(cmd, env=None):
    """As :func:`run`, with ``out`` parsed from the last line of stdout (JSON)."""
    r = run(cmd, env)
    return r._replace(out=json.loads(r.out.strip().splitlines()[-1]))


def median(xs):
    return statistics.median(xs) if xs else float("nan")
