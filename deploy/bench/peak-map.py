#!/usr/bin/env python3
"""What a server's peak RSS is made of, watched from outside while a benchmark runs it.

Waits for a process whose command line starts with "dotnet" and contains --match (e.g. the --server-dll given to
scale-benchmarks.py), then samples /proc/<pid>/status every --interval seconds until it exits. Each time the RSS reaches
a new maximum (by 0.5 MiB or more) it also reads /proc/<pid>/smaps and the threads, and keeps the last few of those:

  - the resident memory by mapping (each .dll/.so file, the runtime's double-mapped type data and code, [heap]);
  - the anonymous memory split by what holds it: a thread's stack (the mapping that holds the stack pointer of one of
    the threads, from /proc/<pid>/task/<tid>/syscall), a glibc thread arena (a 64 MiB-aligned mapping, as glibc places
    them), the rest (the GC heap's committed regions and the runtime's other allocations);
  - the threads by name (/proc/<pid>/task/<tid>/comm).

When the high-water mark falls (scale-benchmarks.py's burst phase resets it with /proc/<pid>/clear_refs at the burst's
first webhook), the maxima start again: the mapped maxima and "peak_since_reset" are then the burst's own.

The samples taken while the process shuts down (its thread count halves in the last second) are not the benchmark's
figure: the summary reports the maximum before the last second. Reading the syscall files needs the same user as the
server (or root). Written for issue 15's peak RSS (docs/performance.md, "Memory, 2026-12-05, 17:20-18:45 UTC").

  python3 deploy/bench/peak-map.py --match /tmp/base/Pipeliner.Server.dll --out /tmp/peak.json &
  python3 deploy/bench/scale-benchmarks.py --no-build --server-dll /tmp/base/Pipeliner.Server.dll --phases burst --no-counters
"""
import argparse
import collections
import json
import os
import re
import time

ARENA_ALIGNMENT = 64 << 20
MAPPING = re.compile(r"^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$")


def find(match):
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            command = open(f"/proc/{entry}/cmdline", "rb").read().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if command.startswith("dotnet") and match in command:
            return int(entry)
    return None


def status(pid):
    wanted = ("VmRSS", "VmHWM", "RssAnon", "RssFile", "RssShmem", "Threads")
    values = {}
    for line in open(f"/proc/{pid}/status"):
        key, _, value = line.partition(":")
        if key in wanted:
            number = int(value.split()[0])
            values[key] = number if key == "Threads" else round(number / 1024, 2)
    return values


def threads(pid):
    """Thread names, and each thread's stack pointer (None when it is running, or the file is not readable)."""
    names, stack_pointers = collections.Counter(), {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            name = open(f"/proc/{pid}/task/{tid}/comm").read().strip()
            fields = open(f"/proc/{pid}/task/{tid}/syscall").read().split()
        except OSError:
            continue
        names[name] += 1
        if len(fields) >= 3:
            stack_pointers[int(fields[-2], 16)] = name
    return dict(names), stack_pointers


def smaps(pid, stack_pointers):
    vmas = []
    for line in open(f"/proc/{pid}/smaps"):
        mapping = MAPPING.match(line)
        if mapping:
            vmas.append({"start": int(mapping.group(1), 16), "end": int(mapping.group(2), 16),
                         "perms": mapping.group(3), "path": mapping.group(4), "rss": 0})
        elif line.startswith("Rss:"):
            vmas[-1]["rss"] = int(line.split()[1])
    by_mapping, anonymous = collections.Counter(), collections.Counter()
    for i, vma in enumerate(vmas):
        path = vma["path"]
        if path.startswith("/memfd:doublemapper"):
            name = "runtime " + ("code" if "x" in vma["perms"] else "type data")
        else:
            name = path or "[anonymous]"
        by_mapping[name] += vma["rss"]
        if path:
            continue
        # glibc places a thread arena's heap at a 64 MiB boundary and reserves the rest of the 64 MiB without access.
        rest = vmas[i + 1] if i + 1 < len(vmas) else None
        arena_end = vma["start"] + ARENA_ALIGNMENT
        is_arena = vma["start"] % ARENA_ALIGNMENT == 0 and (
            vma["end"] == arena_end or (rest is not None and not rest["path"] and rest["perms"].startswith("---")
                                        and rest["start"] == vma["end"] and rest["end"] == arena_end))
        if any(vma["start"] <= sp < vma["end"] for sp in stack_pointers):
            anonymous["thread stacks"] += vma["rss"]
        elif is_arena:
            anonymous["glibc thread arenas"] += vma["rss"]
        else:
            anonymous["GC heap and other"] += vma["rss"]
    mib = lambda counter, least: {k: round(v / 1024, 2) for k, v in counter.most_common() if v >= least}
    return mib(by_mapping, 64), mib(anonymous, 0)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--match", required=True, help="a part of the server's command line (its .dll path)")
    parser.add_argument("--out", required=True, help="the JSON report: the timeline and the mapped maxima")
    parser.add_argument("--interval", type=float, default=0.1)
    parser.add_argument("--keep", type=int, default=4, help="how many of the last maxima keep their mapping")
    args = parser.parse_args()

    pid = None
    while pid is None:
        pid = find(args.match)
        time.sleep(0.05)
    started, best, timeline, maxima, reset_t = time.time(), 0.0, [], [], None
    try:
        while True:
            sample = status(pid)
            if "VmRSS" not in sample:  # a zombie: the process has exited
                break
            sample["t"] = round(time.time() - started, 2)
            # The kernel updates the high-water mark lazily (it can fall by a fraction of a MiB): only a real drop is a reset.
            if timeline and sample["VmHWM"] < timeline[-1]["VmHWM"] - 2:
                best, maxima, reset_t = 0.0, [], sample["t"]
            timeline.append(sample)
            if sample["VmRSS"] >= best + 0.5:
                best = sample["VmRSS"]
                names, stack_pointers = threads(pid)
                by_mapping, anonymous = smaps(pid, stack_pointers)
                maxima = (maxima + [{"status": sample, "threads": names, "anonymous": anonymous, "mappings": by_mapping}])[-args.keep:]
            time.sleep(args.interval)
    except OSError:
        pass

    end = timeline[-1]["t"] if timeline else 0
    working = [s for s in timeline if s["t"] < end - 1] or timeline
    peak = max(working, key=lambda s: s["VmRSS"]) if working else {}
    since_reset = [s for s in working if reset_t is not None and s["t"] >= reset_t]
    peak_since_reset = max(since_reset, key=lambda s: s["VmRSS"]) if since_reset else None
    json.dump({"pid": pid, "peak": peak, "reset_t": reset_t, "peak_since_reset": peak_since_reset, "timeline": timeline,
               "maxima": maxima}, open(args.out, "w"))
    mapped = [m for m in maxima if m["status"]["t"] < end - 1]
    print(json.dumps({"peak": peak, "peak_since_reset": peak_since_reset,
                      "at_last_mapped_maximum": mapped[-1] if mapped else None}, indent=1)[:6000])


if __name__ == "__main__":
    main()
