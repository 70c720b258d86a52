#!/usr/bin/env python3
"""Summarise a bench/run.sh output directory as a Markdown table.

Reads OUT/<impl>-c<children>/{publish,subscribe}.tsv, fanout.json,
fanout-extra.json, state and kamailio.log; prints to stdout.
"""
import csv
import json
import os
import re
import sys

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "out")
IMPLS = ("ours", "reference")


def read_tsv(path):
    try:
        with open(path) as f:
            return list(csv.DictReader(f, delimiter="\t"))
    except OSError:
        return []


def read_json(path):
    try:
        with open(path) as f:
            return json.loads(f.read() or "{}")
    except (OSError, ValueError):
        return {}


def count(path, regex):
    n = 0
    try:
        with open(path, errors="replace") as f:
            r = re.compile(regex)
            for ln in f:
                if r.search(ln):
                    n += 1
    except OSError:
        return None
    return n


def instance(impl, c):
    d = os.path.join(OUT, "%s-c%s" % (impl, c))
    if not os.path.isdir(d):
        return None
    x = {"dir": d}
    for kind in ("publish", "subscribe"):
        x[kind] = read_tsv(os.path.join(d, kind + ".tsv"))
    x["shm"] = read_tsv(os.path.join(d, "shm.tsv"))
    x["fan"] = read_json(os.path.join(d, "fanout.json"))
    x["fanx"] = read_json(os.path.join(d, "fanout-extra.json"))
    try:
        x["state"] = open(os.path.join(d, "state")).read().strip()
    except OSError:
        x["state"] = "not run"
    lg = os.path.join(d, "kamailio.log")
    x["locked"] = count(lg, r"database is locked")
    x["errors"] = count(lg, r" (ERROR|CRITICAL|BUG|ALERT):")
    x["crash"] = count(lg, r"(signal 11|SIGSEGV|core dump|terminated by signal|exited with status|died)")
    return x


def by_rate(rows):
    """rate -> the passing try of that rate, else its last try"""
    out = {}
    for r in rows:
        k = int(r["rate"])
        if k not in out or out[k]["pass"] != "yes":
            out[k] = r
    return out


def best(rows):
    """highest passing rate (a rate passes when one of its tries does), its
    row, and the row of the first rate that failed"""
    b, brow, fail = 0, None, None
    for k, r in sorted(by_rate(rows).items()):
        if r["pass"] == "yes" and fail is None:
            b, brow = k, r
        elif fail is None:
            fail = r
    return b, brow, fail


def row_at(rows, rate):
    return by_rate(rows).get(rate)


def ratio(a, b, fmt="%.1fx"):
    try:
        a, b = float(a), float(b)
    except (TypeError, ValueError):
        return "n/a"
    if b == 0:
        return "inf" if a > 0 else "n/a"
    return fmt % (a / b)


def fmt_best(b, brow, fail):
    s = "%d" % b if b else "0 (< lowest step)"
    if brow:
        s += " (achieved %s)" % brow["achieved"]
    if fail:
        s += "; %s/s: %s %% ok, %s/s answered" % (
            fail["rate"], fail["success_pct"], fail["achieved"])
    return s


def children_list():
    cs = set()
    for n in os.listdir(OUT):
        m = re.match(r"(ours|reference)-c(\d+)$", n)
        if m:
            cs.add(int(m.group(2)))
    return sorted(cs)


lines = []
p = lines.append
env = ""
try:
    env = open(os.path.join(OUT, "env.txt")).read()
except OSError:
    pass
p("# Presence benchmark: ours vs Debian's kamailio-presence-modules")
p("")
p("```")
p(env.rstrip())
p("```")
p("")
p("Config scripts/kamailio-presence.cfg for both (SQLite, stateless replies, "
  "same route); reference = Debian's presence + presence_xml + db_sqlite. "
  "A step passes with >= 99.9 % successful calls and >= 90 % of the target "
  "rate answered. PUBLISH call = initial + refresh + modify + remove "
  "(4 PUBLISH); SUBSCRIBE call = SUBSCRIBE, NOTIFY, un-SUBSCRIBE, NOTIFY "
  "(rate counted in SUBSCRIBE requests, each with its NOTIFY). CPU = "
  "utime+stime of all Kamailio processes per 1000 requests answered, at the "
  "highest step both passed (or the lowest step when one passed none). "
  "Ratio = ours / reference (higher is better for rates, lower for CPU and "
  "times).")
p("")

for c in children_list():
    inst = {i: instance(i, c) for i in IMPLS}
    o, r = inst["ours"], inst["reference"]
    p("## CHILDREN=%d" % c)
    p("")
    p("| metric | ours | reference | ours/ref |")
    p("|---|---|---|---|")
    for kind, unit in (("publish", "PUBLISH/s"), ("subscribe", "SUBSCRIBE/s")):
        bo = best(o[kind]) if o else (0, None, None)
        br = best(r[kind]) if r else (0, None, None)
        p("| %s max rate, %s (>= 99.9 %%) | %s | %s | %s |" % (
            kind.upper(), unit, fmt_best(*bo), fmt_best(*br),
            ratio(bo[0], br[0])))
        # CPU at the highest step both passed, else at the lowest step
        common = min(bo[0], br[0])
        if not common:
            rates = [int(x["rate"]) for x in (o or {}).get(kind, [])] + \
                [int(x["rate"]) for x in (r or {}).get(kind, [])]
            common = min(rates) if rates else 0
        ro = row_at(o[kind], common) if o else None
        rr = row_at(r[kind], common) if r else None
        co = ro["cpu_ms_per_1000"] if ro else "-"
        cr = rr["cpu_ms_per_1000"] if rr else "-"
        p("| %s CPU ms / 1000 requests (at %d/s) | %s | %s | %s |" % (
            kind.upper(), common, co, cr, ratio(co, cr, "%.2f")))
        # CPU at each one's own best step
        co2 = bo[1]["cpu_ms_per_1000"] if bo[1] else "-"
        cr2 = br[1]["cpu_ms_per_1000"] if br[1] else "-"
        p("| %s CPU ms / 1000 requests (at own max rate) | %s | %s | %s |" % (
            kind.upper(), co2, cr2, ratio(co2, cr2, "%.2f")))
    fo = o["fan"] if o else {}
    fr = r["fan"] if r else {}

    def fan(f):
        if not f:
            return "-"
        s = "%s ms" % f.get("last_notify_ms")
        if not f.get("complete"):
            s += " (INCOMPLETE: %s/%s subscribed, %s NOTIFYs)" % (
                f.get("subscribed"), f.get("watchers"),
                f.get("notifies_with_new_state"))
        return s

    p("| fan-out: PUBLISH -> last of %s NOTIFYs | %s | %s | %s |" % (
        fo.get("watchers") or fr.get("watchers") or "?", fan(fo), fan(fr),
        ratio(fo.get("last_notify_ms"), fr.get("last_notify_ms"), "%.2f")
        if fo.get("complete") and fr.get("complete") else
        "n/a (incomplete)"))
    p("| fan-out: median / first NOTIFY, PUBLISH 200 after | %s | %s | |" % tuple(
        ("%s / %s ms, 200 after %s ms" % (f.get("p50_ms"), f.get("first_notify_ms"),
                                          f.get("publish_reply_ms")) if f else "-")
        for f in (fo, fr)))
    p("| fan-out: watchers subscribed (SUBSCRIBE replies) | %s | %s | |" % tuple(
        ("%s/%s %s" % (f.get("subscribed"), f.get("watchers"),
                       json.dumps(f.get("subscribe_replies")))
         if f else "-") for f in (fo, fr)))
    p("| fan-out: Kamailio CPU ms (whole fan-out run) | %s | %s | %s |" % (
        *(("%.0f" % (x["fanx"]["cpu_ticks"] * 1000 / x["fanx"]["clk_tck"])
           if x and x.get("fanx") else "-") for x in (o, r)),
        ratio(o and o["fanx"].get("cpu_ticks"), r and r["fanx"].get("cpu_ticks"), "%.2f")))
    p("| fan-out: NOTIFY retransmissions after the PUBLISH | %s | %s | |" % tuple(
        (f.get("notify_retransmissions_after_publish", "-") if f else "-")
        for f in (fo, fr)))

    def other(x):
        v = [int(r["other_pct"]) for k in ("publish", "subscribe")
             for r in (x or {}).get(k, []) if r.get("other_pct", "").isdigit()]
        return "max %d %%, mean %.0f %%" % (max(v), sum(v) / len(v)) if v else "-"

    p("| CPU of unrelated processes during the steps (share of the machine) | %s | %s | |" % (
        other(o), other(r)))
    def shm(x):
        v = (x or {}).get("shm") or []
        if not v:
            return "-"
        peak = max(float(r["max_used_mb"]) for r in v)
        end = [r for r in v if r["when"].startswith("at the end")]
        return "%s -> %s MB (peak %.0f MB)" % (
            v[0]["real_used_mb"], end[-1]["real_used_mb"] if end else "?", peak)

    p("| shared memory real_used: after start -> at the end, idle (peak) | %s | %s | |" % (
        shm(o), shm(r)))
    p("| 'database is locked' log lines (whole run) | %s | %s | |" % (
        o["locked"] if o else "-", r["locked"] if r else "-"))
    p("| ERROR/CRITICAL/BUG log lines (whole run) | %s | %s | |" % (
        o["errors"] if o else "-", r["errors"] if r else "-"))
    p("| Kamailio at the end | %s | %s | |" % (
        o["state"] if o else "-", r["state"] if r else "-"))
    p("")

p("## Steps")
p("")
p("Machine share: percent of all %s CPUs over the step taken by Kamailio, "
  "by SIPp, and by every other process (other > 0 means the figures were "
  "disturbed by unrelated load)." % os.cpu_count())
p("")
p("| children | impl | kind | target req/s | try | calls ok/total | success % | "
  "answered | achieved req/s | CPU ms/1000 | db locked | log errors | "
  "kamailio / sipp / other % | pass |")
p("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for c in children_list():
    for i in IMPLS:
        x = instance(i, c)
        if not x:
            continue
        for kind in ("publish", "subscribe"):
            for r in x[kind]:
                p("| %d | %s | %s | %s | %s | %s/%s | %s | %s | %s | %s | %s | %s | %s / %s / %s | %s |" % (
                    c, i, kind, r["rate"], r["try"], r["ok"], r["calls"],
                    r["success_pct"], r["answered"], r["achieved"],
                    r["cpu_ms_per_1000"], r["db_locked"], r["log_errors"],
                    r["kam_pct"], r["sipp_pct"], r["other_pct"], r["pass"]))
print("\n".join(lines))
