#!/usr/bin/env python3
"""Summarise a bench/workers.sh output directory (default bench/out/workers)
as Markdown tables: the machine state, then per worker count ours, Debian's
presence and the tm floor side by side, presence's own cost (ours minus the
floor), the scaling ratios and the start-up load.  A cell holds one value
per round, "round 1 / round 2".  Reads OUT/env.txt and OUT/results.tsv;
prints to stdout.
"""
import csv
import re
import os
import sys

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "out", "workers")
IMPLS = ("ours", "reference", "floor")

R = {}      # (run, impl, workers, metric) -> value
runs, workers = set(), set()
try:
    with open(os.path.join(OUT, "results.tsv")) as f:
        for row in csv.DictReader(f, delimiter="\t"):
            R[(row["run"], row["impl"], row["workers"], row["metric"])] = row["value"]
            runs.add(row["run"])
            if row["workers"].isdigit():
                workers.add(int(row["workers"]))
except OSError:
    print("no results in %s" % OUT)
    sys.exit(1)
runs = sorted(runs, key=int)
# "base": our modules at an earlier revision (BASE_REV), shown as "before"
HAS_BASE = any(k[1] == "base" for k in R)
if HAS_BASE:
    IMPLS = ("base", "ours", "reference", "floor")
workers = sorted(workers)
lines = []
p = lines.append


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def get(run, impl, w, metric):
    return R.get((run, impl, str(w), metric))


def rate_cell(run, impl, w, kind):
    lo, hi = get(run, impl, w, kind + "_cps"), get(run, impl, w, kind + "_fail")
    if lo is None:
        return "-"
    if hi in (None, "0"):
        return ">= %s" % lo
    if lo == "0":
        return "< %s" % hi
    return lo


def joined(fn):
    vals = [fn(r) for r in runs]
    if all(v in (None, "-") for v in vals):
        return "-"
    return " / ".join("-" if v is None else str(v) for v in vals)


def fmt(x, f="%.0f"):
    return "-" if x is None else f % x


def diff(run, w, metric, f="%+.3f"):
    a, b = num(get(run, "ours", w, metric)), num(get(run, "floor", w, metric))
    return fmt(a - b, f) if a is not None and b is not None else None


def us_per_call(run, w, kind):
    """presence's own wall time per call at saturation: 1/ours - 1/floor"""
    a, b = num(get(run, "ours", w, kind + "_cps")), num(get(run, "floor", w, kind + "_cps"))
    if not a or not b:
        return None
    return "%+.0f us/call" % (1e6 / a - 1e6 / b)


def over_base(run, impl, w, base, metric):
    """impl's metric at w workers over its own at base workers"""
    a, b = num(get(run, impl, w, metric)), num(get(run, impl, base, metric))
    return "%.2f" % (a / b) if a and b else None


def pct(run, w, metric):
    a, b = num(get(run, "ours", w, metric)), num(get(run, "floor", w, metric))
    return "%.0f %%" % (100 * a / b) if a is not None and b else None


try:
    env = open(os.path.join(OUT, "env.txt")).read().strip().splitlines()
except OSError:
    env = []
OVER = "?"
for ln in env:
    m = re.search(r"overload (\S+)x", ln)
    if m:
        OVER = m.group(1)
# the equal-load rates (bench/workers.sh COST_RATES): KIND_cpu_at_RATE_ms
COSTS = sorted({int(m.group(1)) for m in
                (re.fullmatch(r"(?:publish|subscribe)_cpu_at_(\d+)_ms", k[3]) for k in R) if m})
p("# Presence benchmark: ours, Debian's presence, the tm floor (bench/workers.sh)")
p("")
for ln in env:
    p("- " + ln)
p("")
p("Cells: round 1 / round 2. Rates: highest rate passed (>= 99.9 % calls ok), "
  "'>= N': the search never failed, '< N': even the lowest rate failed. "
  "CPU: ms of Kamailio CPU (all processes) per 1000 requests at the highest "
  "passing trial, and in one more trial at the same rate for all three "
  "(equal load). 'ours - floor': presence's own cost (CPU ms per 1000 "
  "requests at equal load; for rates, wall time per call at saturation, "
  "1/ours - 1/floor); "
  "'ours / floor': ours as a share of the floor.")
p("")
BEFORE = "before (base) | " if HAS_BASE else ""
p("| workers | figure | %sours | reference | tm floor | ours - floor | ours / floor |" % BEFORE)
p("|---|---|---|---|---|---|---|" + ("---|" if HAS_BASE else ""))
FAN = sorted({int(k[3].split("_")[1]) for k in R if k[3].startswith("fanout_")})
FAN_AGAIN = {int(k[3].split("_")[1]) for k in R
             if k[3].startswith("fanout_") and k[3].endswith("_again_ms")}
for w in workers:
    def row(label, cell, d="-", q="-"):
        before = (joined(lambda r: cell(r, "base")) + " | ") if HAS_BASE else ""
        p("| %d | %s | %s%s | %s | %s | %s | %s |" % (
            w, label, before, joined(lambda r: cell(r, "ours")),
            joined(lambda r: cell(r, "reference")),
            joined(lambda r: cell(r, "floor")), d, q))
    for kind, label, unit in (("publish", "PUBLISH life cycles/s", "PUBLISH"),
                              ("subscribe", "SUBSCRIBE calls/s", "SUBSCRIBE")):
        row(label, lambda r, i, k=kind: rate_cell(r, i, w, k),
            joined(lambda r, k=kind: us_per_call(r, w, k)),
            joined(lambda r, k=kind: pct(r, w, k + "_cps")))
        row("%s: SIPp retransmissions at that rate" % unit,
            lambda r, i, k=kind: get(r, i, w, k + "_retrans"))
        row("CPU ms / 1000 %s at the highest passing rate" % unit,
            lambda r, i, k=kind: get(r, i, w, k + "_cpu_ms"))
        row("%s overload: calls completed/s offered %sx the maximum (share of the maximum), retransmissions, 503s" % (unit, OVER),
            lambda r, i, k=kind: None if get(r, i, w, k + "_over_cps") is None else
            "%s (%s), %s, %s" % (get(r, i, w, k + "_over_cps"), get(r, i, w, k + "_over_share"),
                                 get(r, i, w, k + "_over_retrans"), get(r, i, w, k + "_over_503")))
        row("%s overload, second half of the sending time: calls completed/s (share of the maximum), 503s/s" % unit,
            lambda r, i, k=kind: get(r, i, w, k + "_over_late"))
        for c in COSTS:
            m = "%s_cpu_at_%d_ms" % (kind, c)
            row("CPU ms / 1000 %s at %d calls/s (equal load)" % (unit, c),
                lambda r, i, m=m: get(r, i, w, m),
                joined(lambda r, m=m: diff(r, w, m)),
                joined(lambda r, m=m: pct(r, w, m)))
    for n in FAN:
        row("fan-out: last of %d NOTIFYs, ms (first on the fresh instance)" % n,
            lambda r, i, n=n: get(r, i, w, "fanout_%d_ms" % n))
        if n in FAN_AGAIN:
            row("fan-out: last of %d NOTIFYs, ms (again on the instance, median)" % n,
                lambda r, i, n=n: get(r, i, w, "fanout_%d_again_ms" % n))
    row("shm bytes per publication", lambda r, i: get(r, i, w, "shm_per_pub_b"))
    row("shm bytes per subscription", lambda r, i: get(r, i, w, "shm_per_sub_b"))
    row("'database is locked' log lines", lambda r, i: get(r, i, w, "db_locked_lines"))
    row("Kamailio at the end", lambda r, i: get(r, i, w, "state"))
p("")

if len(workers) > 1:
    base = workers[0]
    p("## Scaling: rate at N workers / rate at %d worker(s)" % base)
    p("")
    p("| workers | figure | %s |" % " | ".join(
        {"base": "before (base)", "floor": "tm floor"}.get(i, i) for i in IMPLS))
    p("|---|---|" + "---|" * len(IMPLS))
    for w in workers[1:]:
        for kind, label in (("publish", "PUBLISH"), ("subscribe", "SUBSCRIBE")):
            p("| %d | %s | %s |" % (w, label, " | ".join(
                joined(lambda r, i=i, k=kind: over_base(r, i, w, base, k + "_cps"))
                for i in IMPLS)))
    p("")
    if COSTS:
        p("## Equal load: CPU per request at N workers / at %d worker(s), same rate" % base)
        p("")
        p("What the added workers cost at the same offered load; the tm floor's "
          "column is what they cost Kamailio without presence. 'ours - floor' is "
          "presence's own CPU ms per 1000 requests at N workers, then at %d." % base)
        p("")
        p("| workers | figure | %s | ours - floor |" % " | ".join(
            {"base": "before (base)", "floor": "tm floor"}.get(i, i) for i in IMPLS))
        p("|---|---|" + "---|" * (len(IMPLS) + 1))
        for w in workers[1:]:
            for kind, label in (("publish", "PUBLISH"), ("subscribe", "SUBSCRIBE")):
                for c in COSTS:
                    m = "%s_cpu_at_%d_ms" % (kind, c)

                    def own(r, m=m):
                        a, b = diff(r, w, m, "%+.0f"), diff(r, base, m, "%+.0f")
                        return "%s (%s)" % (a, b) if a and b else None
                    p("| %d | %s at %d calls/s | %s | %s |" % (
                        w, label, c, " | ".join(
                            joined(lambda r, i=i: over_base(r, i, w, base, m)) for i in IMPLS),
                        joined(own)))
        p("")

loads = [i for i in ("base", "ours", "reference") if any(k[1] == i and k[3].startswith("load_") for k in R)]
if loads:
    p("## Start-up with subscriptions in the DB (seconds until an OPTIONS is answered)")
    p("")
    p("| implementation | workers | empty DB, s | with the subscriptions, s | shm bytes per loaded subscription | check |")
    p("|---|---|---|---|---|---|")
    for i in loads:
        ws = sorted({k[2] for k in R if k[1] == i and k[3].startswith("load_")})
        for w in ws:
            p("| %s | %s | %s | %s | %s | %s |" % (
                i, w, joined(lambda r: get(r, i, w, "load_empty_s")),
                joined(lambda r: get(r, i, w, "load_full_s")),
                joined(lambda r: get(r, i, w, "load_shm_per_sub_b")),
                joined(lambda r: get(r, i, w, "load_check"))))
    p("")
print("\n".join(lines))
