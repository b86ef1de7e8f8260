#!/usr/bin/env python3
"""Turns a tierkv-bench JSON (Google Benchmark) and a scripts/canary log into the benchmark
report: <out>.json (machine, every benchmark, derived figures) and <out>.md (for people).

Benchmark names are read from the JSON, never assumed present: each figure the engine issues
ask for is derived from the benchmarks that match its pattern, and a figure without a matching
benchmark is reported as "not measured" with the reason. Used by scripts/bench_report.sh.
"""
import argparse
import json
import os
import platform
import re
import statistics
import sys


def machine(load_before, load_after):
    model = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kib = 0
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    except OSError:
        pass
    return {
        "cpu_model": model,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kib / (1 << 20), 1),
        "kernel": platform.release(),
        "hostname": platform.node(),
        "load_before": open(load_before).read().strip(),
        "load_after": open(load_after).read().strip(),
    }


def base_name(name):
    """The benchmark's name without Google Benchmark's option suffixes."""
    parts = [p for p in name.split("/")
             if not re.match(r"^(iterations|min_time|real_time|manual_time|repeats|threads)(:|$)", p)]
    return "/".join(parts)


def load_benchmarks(path):
    """Benchmarks by base name. With --benchmark_repetitions, the median aggregate stands for
    the benchmark (with "repetitions" and the per-repetition real times kept beside it)."""
    try:
        data = json.load(open(path))
    except (OSError, ValueError) as error:
        sys.exit("bench_report: cannot read %s: %s" % (path, error))
    runs, medians, samples = {}, {}, {}
    for b in data.get("benchmarks", []):
        if b.get("error_occurred"):
            continue
        name = base_name(b.get("run_name", b["name"]))
        if b.get("run_type") == "aggregate":
            if b.get("aggregate_name") == "median":
                medians[name] = b
            continue
        runs[name] = b
        samples.setdefault(name, []).append(b["real_time"])
    for name, b in medians.items():
        b = dict(b)
        b["repetitions"] = len(samples.get(name, []))
        b["real_time_samples"] = samples.get(name, [])
        runs[name] = b
    return data.get("context", {}), runs


def per_op_ns(b):
    """Time per item (items_per_second if set, else per iteration), in ns."""
    if b.get("items_per_second"):
        return 1e9 / b["items_per_second"]
    unit = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[b.get("time_unit", "ns")]
    return b["real_time"] * unit


def figure(name, value=None, unit="", note="", target=""):
    return {"figure": name, "value": value, "unit": unit, "note": note, "target": target}


def not_measured(name, reason, target=""):
    return figure(name, None, "", "not measured: " + reason, target)


def wal_figures(runs):
    out = []
    group = {int(k.split("/")[1]): b for k, b in runs.items()
             if re.match(r"^BM_WalGroupCommitAppends/\d+$", k)}
    if group:
        for n in sorted(group):
            out.append(figure("WAL appends/s, %d concurrent appenders" % n,
                              round(group[n]["items_per_second"]), "appends/s"))
        if 1 in group and len(group) > 1:
            top = max(group)
            out.append(figure("WAL group commit speed-up, %d vs 1 appender" % top,
                              round(group[top]["items_per_second"] / group[1]["items_per_second"], 1),
                              "x"))
    else:
        out.append(not_measured("WAL group commit", "no BM_WalGroupCommitAppends/N in this run"))
    for key, label in (("BM_WalRecoveryOpen", "WAL recovery scan"),
                       ("BM_WalRecoveryReplay", "WAL recovery scan + replay")):
        if key in runs and runs[key].get("bytes_per_second"):
            out.append(figure(label, round(runs[key]["bytes_per_second"] / 1e6), "MB/s"))
        else:
            out.append(not_measured(label, "no %s in this run" % key))
    return out


def backend_figures(runs):
    out = []
    for k in sorted(runs):
        m = re.match(r"^BM_Backend(SyncPut|Get|Scan100)/(\w+)$", k)
        if m and runs[k].get("items_per_second"):
            out.append(figure("backend %s %s" % (m.group(2), m.group(1)),
                              round(runs[k]["items_per_second"]), "ops/s"))
    if not out:
        out.append(not_measured("backend ops/s", "no BM_Backend*/<backend> in this run"))
    # bridge_bench: the same library on its own Env/VFS ("native") and on tierkv's ("bridge").
    for lib, label in (("LevelDb", "LevelDB"), ("Sqlite", "SQLite")):
        for op, op_label in (("SyncPut", "sync put"), ("Get", "get"), ("Scan100", "100-row scan")):
            native, bridged = "BM_%s%s/native" % (lib, op), "BM_%s%s/bridge" % (lib, op)
            name = "Env bridge overhead, %s %s (tierkv / native time per op)" % (label, op_label)
            if native in runs and bridged in runs:
                out.append(figure(name, round(per_op_ns(runs[bridged]) / per_op_ns(runs[native]), 2),
                                  "x", target="<= 1.05x (issue 4)"))
            else:
                out.append(not_measured(name, "needs both %s and %s" % (native, bridged),
                                        "<= 1.05x (issue 4)"))
    return out


def tier_figures(runs):
    """TierStore vs the bare backend: any benchmark named *Tier*; ratios where a counter or a
    Bare/Tier pair with the same suffix says so."""
    out = []
    tier = {k: b for k, b in runs.items() if "Tier" in k.split("/")[0]}
    if not tier:
        return [not_measured("TierStore overhead vs bare backend",
                             "no *Tier* benchmark in this build (tests/bench/tier_bench.cc)",
                             "<= 1.2x with backup, <= 1.05x without (issue 9)")]
    for k in sorted(tier):
        b = tier[k]
        counters = {c: b[c] for c in ("write_us", "read_us", "cpu_us") if c in b}
        note = ", ".join("%s %.3g" % (c, v) for c, v in sorted(counters.items()))
        out.append(figure("%s (whole run: writes then reads)" % k, round(b["real_time"], 1),
                          b.get("time_unit", "ns"), note))
    for k in sorted(runs):
        if "Bare" not in k.split("/")[0]:
            continue
        suffix = k.split("/", 1)[1] if "/" in k else ""
        for t in sorted(tier):
            if (t.split("/", 1)[1] if "/" in t else "") != suffix or t == k:
                continue
            target = "<= 1.2x (issue 9)" if "WithBackup" in t else \
                "<= 1.05x (issue 9)" if "NoBackup" in t else ""
            if k.split("/")[0] != "BM_BareLevelDb":  # e.g. BareLevelDbPair: not the targets' base
                target = "none (diagnostic baseline)"
            if "synced:0" in k:
                target = "none (unsynced diagnostic)"
            spread = ""
            if runs[k].get("real_time_samples") and tier[t].get("real_time_samples"):
                spread = "%d repetitions each (medians); %s %.3g-%.3g, %s %.3g-%.3g %s" % (
                    min(runs[k]["repetitions"], tier[t]["repetitions"]),
                    t.split("/")[0], min(tier[t]["real_time_samples"]),
                    max(tier[t]["real_time_samples"]), k.split("/")[0],
                    min(runs[k]["real_time_samples"]), max(runs[k]["real_time_samples"]),
                    runs[k].get("time_unit", ""))
            out.append(figure("TierStore overhead %s vs %s (wall time)" % (t, k),
                              round(per_op_ns(tier[t]) / per_op_ns(runs[k]), 2), "x",
                              spread, target))
            if runs[k].get("cpu_us") and tier[t].get("cpu_us"):
                out.append(figure("TierStore CPU per op %s vs %s" % (t, k),
                                  round(tier[t]["cpu_us"] / runs[k]["cpu_us"], 2), "x",
                                  "cpu_us %.1f vs %.1f" % (tier[t]["cpu_us"], runs[k]["cpu_us"])))
    return out


def overlay_figures(runs):
    out = []
    for k in sorted(runs):
        m = re.match(r"^BM_OverlayBulkPut/(\w+)/blocks:(\d+)$", k)
        if not m:
            continue
        for raw in ("BM_RawContentPut", "BM_RawBlockPut"):
            other = "%s/%s/blocks:%s" % (raw, m.group(1), m.group(2))
            if other in runs:
                out.append(figure("overlay bookkeeping, %s %s blocks (bulk put / %s)"
                                  % (m.group(1), m.group(2), raw),
                                  round(per_op_ns(runs[k]) / per_op_ns(runs[other]), 2), "x",
                                  target="<= 1.3x (issue 6)"))
    if "BM_BlockHash" in runs and runs["BM_BlockHash"].get("bytes_per_second"):
        out.append(figure("overlay block hash (SHA-256)",
                          round(runs["BM_BlockHash"]["bytes_per_second"] / 1e6), "MB/s"))
    if not any(f["unit"] == "x" for f in out):
        out.append(not_measured("overlay bookkeeping",
                                "no BM_OverlayBulkPut with a matching BM_Raw*Put in this run",
                                "<= 1.3x (issue 6)"))
    return out


def sim_figures(runs):
    out = []
    for k in sorted(runs):
        if not k.startswith("BM_Sim"):
            continue
        b = runs[k]
        if "sim_ops_per_s" in b:
            out.append(figure("simulator %s" % k, round(b["sim_ops_per_s"]), "simulated ops/s",
                              target="1M ops/s (issue 7)"))
        if "sim_to_real_ratio" in b:
            out.append(figure("simulator %s speed-up" % k, round(b["sim_to_real_ratio"], 1),
                              "simulated s per real s"))
    if not out:
        out.append(not_measured("simulator ops/s and speed-up", "no BM_Sim* in this run",
                                "1M ops/s (issue 7)"))
    return out


def sigkill_figures(text):
    """The SIGKILL baseline table scripts/canary --sigkill-baseline prints, one figure per row."""
    out = []
    lines = text.splitlines()
    header = [i for i, line in enumerate(lines)
              if line.startswith("time to detect, simulator vs SIGKILL baseline")]
    if not header:
        return out
    limit = re.search(r"limit (\d+) s", lines[header[0]])
    for line in lines[header[0] + 2:]:
        m = re.match(r"^\s+(\S+)\s+(\S+) s\s+(.+?)\s+(\S+)$", line)
        if not m:
            break
        canary, sim, kill, ratio = m.groups()
        note = "simulator %s s; SIGKILL baseline %s" % (sim, kill.strip())
        value = None
        if ratio.rstrip("x").lstrip(">").replace(".", "", 1).isdigit():
            value = ratio
        out.append(figure("SIGKILL baseline / simulator time to detect, %s" % canary, value, "",
                          note, ">= 100x (issue 9)" + (", limit %s s" % limit.group(1)
                                                       if limit else "")))
    return out


def canary_figures(log_path, time_limit):
    text = open(log_path).read() if os.path.exists(log_path) else ""
    logged_limit = re.search(r"time limit (\d+)s per canary", text)
    if logged_limit:
        time_limit = int(logged_limit.group(1))
    rows = []
    for line in text.splitlines():
        m = re.match(r"^(\S+)\s+(detected|SURVIVED)\s+(\S+)\s+(\S+)\s+(\S+)\s*(.*)$", line)
        if m:
            rows.append({"canary": m.group(1), "result": m.group(2).lower(), "seed": m.group(3),
                         "seeds": m.group(4), "seconds": m.group(5), "invariant": m.group(6)})
    if not rows:
        reason = "canary step skipped" if not text.strip() else \
            "scripts/canary printed no result rows (see its log)"
        return [not_measured("canary time-to-detect", reason)], rows, text
    out = []
    for r in rows:
        if r["result"] == "detected":
            out.append(figure("canary %s time to detect" % r["canary"],
                              float(r["seconds"].lstrip("~")), "s",
                              "seed %s after %s seeds, %s" % (r["seed"], r["seeds"], r["invariant"])))
        else:
            out.append(figure("canary %s time to detect" % r["canary"], None, "s",
                              "not detected within %s s" % time_limit))
    times = [f["value"] for f in out if f["value"] is not None]
    if times:
        out.append(figure("canary time to detect, median over %d detected" % len(times),
                          round(statistics.median(times), 2), "s"))
    return out + sigkill_figures(text), rows, text


def markdown(report):
    m = report["machine"]
    lines = ["# tierkv benchmark report %s" % report["date"], "",
             "Produced by `scripts/bench_report.sh%s` at revision %s." %
             (" --quick" if report["quick"] else "", report["revision"]), ""]
    if report["quick"]:
        lines += ["**Quick mode**: a pipeline test with short minimum times and a subset of "
                  "benchmarks; figures are not comparable.", ""]
    lines += ["## Machine", "",
              "- CPU: %s, %s cores" % (m["cpu_model"], m["cores"]),
              "- memory: %s GiB, kernel %s" % (m["memory_gib"], m["kernel"]),
              "- load before: `%s`" % m["load_before"],
              "- load after: `%s`" % m["load_after"],
              "- tierkv build: RelWithDebInfo (-O2, assertions on); Google Benchmark library "
              "build: %s (the library's own, not tierkv's)"
              % report["bench_context"].get("library_build_type", "?"),
              "- machine shared while measuring: see the load averages above (2 cores; a load "
              "above 2 means other work competed for them)",
              ""]
    if report.get("notes"):
        lines += ["## Notes", ""] + ["- %s" % note for note in report["notes"]] + [""]
    for section, figures in report["figures"].items():
        lines += ["## %s" % section, "", "| figure | value | target | note |", "|---|---:|---|---|"]
        for f in figures:
            value = "—" if f["value"] is None else "%s %s" % (f["value"], f["unit"])
            lines.append("| %s | %s | %s | %s |" % (f["figure"], value, f["target"], f["note"]))
        lines.append("")
    lines += ["## Every benchmark", "", "| benchmark | real time | items/s | bytes/s |",
              "|---|---:|---:|---:|"]
    for name, b in sorted(report["benchmarks"].items()):
        lines.append("| %s | %.3g %s | %s | %s |" % (
            name, b["real_time"], b.get("time_unit", "ns"),
            "%.4g" % b["items_per_second"] if b.get("items_per_second") else "",
            "%.4g" % b["bytes_per_second"] if b.get("bytes_per_second") else ""))
    return "\n".join(lines) + "\n"


def main():
    p = argparse.ArgumentParser()
    # --bench-json may repeat: a later file's benchmarks replace an earlier one's of the same
    # name (e.g. a repeated, interleaved run of the noisy TierStore benchmarks).
    p.add_argument("--bench-json", action="append", default=[])
    p.add_argument("--from-report", help="re-render a report JSON this script wrote (its "
                   "benchmarks, machine and date), e.g. with a newer canary log")
    p.add_argument("--note", action="append", default=[], help="a line for the Notes section")
    for flag in ("--canary-log", "--out", "--revision"):
        p.add_argument(flag, required=True)
    p.add_argument("--load-before")
    p.add_argument("--load-after")
    p.add_argument("--quick", type=int, default=0)
    p.add_argument("--canary-time-limit", type=int, default=60)
    a = p.parse_args()
    if a.from_report:
        previous = json.load(open(a.from_report))
        context, runs = previous["bench_context"], dict(previous["benchmarks"])
        host_machine, date = previous["machine"], previous["date"]
        notes = previous.get("notes", [])
    else:
        if not (a.load_before and a.load_after and a.bench_json):
            sys.exit("bench_report: --bench-json, --load-before and --load-after are required "
                     "without --from-report")
        context, runs = {}, {}
        host_machine = machine(a.load_before, a.load_after)
        date = os.path.basename(a.out).split("-" + platform.node().split(".")[0])[0]
        notes = []
    for path in a.bench_json:
        more_context, more = load_benchmarks(path)
        context = context or more_context
        runs.update(more)
    canaries, canary_rows, canary_text = canary_figures(a.canary_log, a.canary_time_limit)
    report = {
        "date": date,
        "revision": a.revision,
        "quick": bool(a.quick),
        "machine": host_machine,
        "bench_context": context,
        "notes": notes + a.note,
        "figures": {
            "WAL (issue 3)": wal_figures(runs),
            "Backends and the Env bridge (issue 4)": backend_figures(runs),
            "TierStore (issues 5, 9)": tier_figures(runs),
            "Overlays (issue 6)": overlay_figures(runs),
            "Simulator (issue 7)": sim_figures(runs),
            "Canary time-to-detect (issue 9)": canaries,
        },
        "canary_rows": canary_rows,
        "canary_log": canary_text,
        "benchmarks": runs,
    }
    with open(a.out + ".json", "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    with open(a.out + ".md", "w") as f:
        f.write(markdown(report))


if __name__ == "__main__":
    main()
