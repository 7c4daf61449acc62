#!/usr/bin/env python3
"""Where the webhook's slow `202`s wait during side-by-side.py's Docker burst, answer by answer.

The burst is side-by-side.py's (one warm-up run, an idle window, 100 commits, the webhooks sent one after another, a new
connection each) on a server with its request log, Kestrel's connection log and the intake's Debug line, all with UTC
microsecond timestamps. Every answer is split into:

  before   the client's send -> Kestrel's "connection accepted" (the accept waiting for a core, or the client itself)
  accept   accepted -> ASP.NET Core's "Request starting" (the request's first read and parse)
  server   ASP.NET Core's request duration (of which `intake`: WebhookIntake's own steps)
  after    the request's end -> the client's end (the answer read back)

and, over the answer's time, sampled every --sample-ms: the time in which some task on the machine waited for a core
(/proc/pressure/cpu), the most runnable tasks seen (procs_running), the run-queue wait of the server's threads and of the client, the CPU used by the machine, the server and the client.

--client python sends with side-by-side.py's own client (urllib); --client c with a tiny C client (hookc.c, built with
gcc next to this script's output), to show what the benchmark's client adds. Prints one JSON line with the percentiles
and the 10 slowest answers' parts; --keep leaves the server's log and the raw rows in the output directory.
"""
import argparse
import datetime
import hashlib
import hmac
import importlib.util
import json
import os
import re
import statistics
import subprocess
import tempfile
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("side_by_side", os.path.join(HERE, "side-by-side.py"))
sbs = importlib.util.module_from_spec(spec)
spec.loader.exec_module(sbs)

LOGS = ["--Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics=Information",
        "--Logging:LogLevel:Microsoft.AspNetCore.Server.Kestrel.Connections=Debug",
        "--Logging:LogLevel:Pipeliner.Server.Webhooks.WebhookIntake=Debug",
        "--Logging:Console:FormatterOptions:SingleLine=true",
        "--Logging:Console:FormatterOptions:UseUtcTimestamp=true",
        "--Logging:Console:FormatterOptions:TimestampFormat=HH:mm:ss.ffffff "]
C_CLIENT = r'''#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
static long long us(clockid_t c) { struct timespec t; clock_gettime(c, &t); return t.tv_sec * 1000000LL + t.tv_nsec / 1000; }
int main(int argc, char **argv) {  /* port, request files: one line per request "wall_us total_us status" */
  static char req[1 << 20], buf[65536];
  for (int i = 2; i < argc; i++) {
    FILE *f = fopen(argv[i], "rb"); size_t n = fread(req, 1, sizeof req, f); fclose(f);
    long long wall = us(CLOCK_REALTIME), t0 = us(CLOCK_MONOTONIC);
    int s = socket(AF_INET, SOCK_STREAM, 0), one = 1; setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in a = {0}; a.sin_family = AF_INET; a.sin_port = htons(atoi(argv[1])); a.sin_addr.s_addr = htonl(0x7f000001);
    if (connect(s, (struct sockaddr *)&a, sizeof a)) { perror("connect"); return 1; }
    for (size_t off = 0; off < n;) { ssize_t w = write(s, req + off, n - off); if (w <= 0) { perror("write"); return 1; } off += w; }
    size_t got = 0; long length = -1; char *body = NULL;
    for (;;) {
      ssize_t r = read(s, buf + got, sizeof buf - 1 - got); if (r <= 0) break; got += r; buf[got] = 0;
      if (!body && (body = strstr(buf, "\r\n\r\n"))) { body += 4; char *cl = strcasestr(buf, "content-length:"); if (cl) length = atol(cl + 15); }
      if (body && length >= 0 && (long)(got - (body - buf)) >= length) break;
    }
    long long t1 = us(CLOCK_MONOTONIC); close(s);
    int status = 0; sscanf(buf, "HTTP/1.1 %d", &status);
    printf("%lld %lld %d\n", wall, t1 - t0, status); fflush(stdout);
  }
  return 0;
}
'''


def read(path):
    with open(path) as f:
        return f.read()


class Sampler:
    """Every period: the machine's run-queue wait and busy time, the server's and the client's CPU and run-queue wait.
    Runs in a process of its own (this script with --sample), so that it does not hold the Python client's GIL."""

    def __init__(self, server_pid, client_pid, period):
        self.server_pid, self.client_pid, self.period, self.rows = server_pid, client_pid, period, []

    def snapshot(self):
        # PSI: the time in which some task on the machine waited for a core (µs).
        wait = int(read("/proc/pressure/cpu").split("total=", 1)[1].split()[0]) / 1000
        stat = read("/proc/stat")
        cpu = [int(x) for x in stat.split("\n", 1)[0].split()[1:]]
        running = int(stat.split("procs_running ", 1)[1].split()[0])
        busy = sum(cpu) - cpu[3] - cpu[4]
        server_wait = server_cpu = 0
        for tid in os.listdir(f"/proc/{self.server_pid}/task"):
            try:
                run, waited, _ = read(f"/proc/{self.server_pid}/task/{tid}/schedstat").split()
            except OSError:
                continue
            server_cpu += int(run)
            server_wait += int(waited)
        client_cpu = client_wait = 0
        if self.client_pid:
            client_cpu, client_wait = (int(x) for x in read(f"/proc/{self.client_pid}/schedstat").split()[:2])
        threads = len(os.listdir(f"/proc/{self.server_pid}/task"))
        return (time.time(), wait, busy * 1000 / sbs.CLK_TCK, server_cpu / 1e6, server_wait / 1e6, client_cpu / 1e6, client_wait / 1e6, threads, running)

    def loop(self, path):
        with open(path, "w") as f:
            while True:
                f.write(json.dumps(self.snapshot()) + "\n")
                f.flush()
                time.sleep(self.period)

    def load(self, path):
        self.rows = [json.loads(line) for line in open(path) if line.endswith("\n")]

    def over(self, start, end):
        """The sampled figures' increase from the last sample before start to the first after end."""
        before = max((r for r in self.rows if r[0] <= start), default=self.rows[0], key=lambda r: r[0])
        after = min((r for r in self.rows if r[0] >= end), default=self.rows[-1], key=lambda r: r[0])
        names = ("machine_cpu_stall", "machine_busy", "server_cpu", "server_runq_wait", "client_cpu", "client_runq_wait")
        out = {n: round(after[i + 1] - before[i + 1], 1) for i, n in enumerate(names)}
        out["window"] = round((after[0] - before[0]) * 1000, 1)
        out["server_threads"] = after[7]
        out["procs_running_max"] = max((r[8] for r in self.rows if before[0] <= r[0] <= after[0]), default=None)
        return out


def stamp(line, day):
    m = re.match(r"(\d\d):(\d\d):(\d\d\.\d+) ", line)
    if not m:
        return None
    return day + int(m.group(1)) * 3600 + int(m.group(2)) * 60 + float(m.group(3))


def server_parts(lines, day):
    """Per POST /hooks/ request, in order: accepted, started, finished times, the duration and the intake's line.
    The webhooks go one after another, so the n-th start, intake line and finish belong together even when the console
    logger writes one request's last line after the next request's first."""
    accepted, starts, intakes, finishes = [], [], [], []
    for line in lines:
        t = stamp(line, day)
        if t is None:
            continue
        if "Kestrel.Connections" in line and " accepted" in line:
            accepted.append(t)
        elif "Request starting HTTP/1.1 POST" in line and "/hooks/" in line:
            starts.append(t)
        elif "answered 202 in" in line:
            intakes.append(line.split("answered 202 in ", 1)[1].strip())
        elif "Request finished HTTP/1.1 POST" in line and "/hooks/" in line:
            finishes.append(float(re.search(r"([\d.]+)ms", line).group(1)))
    requests = []
    for n, (started, duration) in enumerate(zip(starts, finishes)):
        request = {"accepted": max((a for a in accepted if a <= started), default=None), "started": started,
                   "finished": started + duration / 1000, "duration": duration}
        if len(intakes) == len(starts):
            request["intake_line"] = intakes[n]
            request["intake"] = float(intakes[n].split(" ms", 1)[0])
        requests.append(request)
    return requests


def p95(values):
    return round(sbs.p95(values), 1) if values else None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server-dll", default=sbs.SERVER_DLL)
    parser.add_argument("--client", choices=("python", "c"), default="python")
    parser.add_argument("--backend", choices=("docker", "shell"), default="docker", help="the runs' backend (shell: no containers, runs finish within the webhooks' second)")
    parser.add_argument("--remote-agent", action="store_true", help="the jobs on one `pipeliner agent` process (side-by-side.py's docker-agent burst)")
    parser.add_argument("--agent-dll", default=sbs.AGENT_DLL)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--idle", type=float, default=20)
    parser.add_argument("--sample-ms", type=float, default=10)
    parser.add_argument("--no-server-logs", action="store_true", help="only the client's times and the samples")
    parser.add_argument("--server-arg", action="append", default=[])
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--sample", nargs=4, help=argparse.SUPPRESS)  # server pid, client pid, period ms, output file
    args = parser.parse_args()
    if args.sample:
        server_pid, client_pid, period, path = args.sample
        return Sampler(int(server_pid), int(client_pid), float(period) / 1000).loop(path)
    sbs.SERVER_DLL, sbs.AGENT_DLL = args.server_dll, args.agent_dll
    work = tempfile.mkdtemp(prefix="webhook-probe-")
    out = {"backend": args.backend, "agent": "remote" if args.remote_agent else "embedded", "client": args.client, "dll": args.server_dll, "load_start": sbs.load()}
    server = sbs.Server(work, args.backend, extra=([] if args.no_server_logs else LOGS) + args.server_arg, remote_agent=args.remote_agent)
    try:
        repo = server.project("bench", sbs.ONE_JOB)
        server.push("bench", "warm", sbs.commit(repo, "warm", 0), "warm")
        server.wait_finished("bench", 1, 300)
        time.sleep(args.idle)
        shas = [sbs.commit(repo, f"burst/{n}", 1000 + n) for n in range(args.runs)]
        sbs.git(repo, "checkout", "-q", "main")
        files = []
        if args.client == "c":
            source = os.path.join(work, "hookc.c")
            with open(source, "w") as f:
                f.write(C_CLIENT)
            subprocess.run(["gcc", "-O2", "-o", os.path.join(work, "hookc"), source], check=True)
            payload = json.load(open(sbs.FIXTURE))
            for n, sha in enumerate(shas):
                payload["ref"], payload["after"], payload["head_commit"]["id"] = f"refs/heads/burst/{n}", sha, sha
                body = json.dumps(payload).encode()
                signature = "sha256=" + hmac.new(sbs.SECRET, body, hashlib.sha256).hexdigest()
                head = (f"POST /hooks/bench HTTP/1.1\r\nHost: {server.base[7:]}\r\nContent-Type: application/json\r\n"
                        f"X-GitHub-Event: push\r\nX-GitHub-Delivery: burst-{n}\r\nX-Hub-Signature-256: {signature}\r\n"
                        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
                files.append(os.path.join(work, f"req{n}"))
                with open(files[-1], "wb") as f:
                    f.write(head + body)
        mark = len(open(server.log.name, errors="replace").readlines())
        samples = os.path.join(work, "samples.jsonl")
        sampler = Sampler(server.pid, os.getpid() if args.client == "python" else 0, args.sample_ms / 1000)
        sampling = subprocess.Popen([sys.executable, __file__, "--sample", str(server.pid), str(sampler.client_pid), str(args.sample_ms), samples])
        while not (os.path.exists(samples) and os.path.getsize(samples)):
            time.sleep(0.05)
        time.sleep(0.1)
        out["load_burst"] = sbs.load()
        answers = []
        if args.client == "python":
            for n, sha in enumerate(shas):
                wall = time.time()
                answers.append((wall, server.push("bench", f"burst/{n}", sha, f"burst-{n}")))
        else:
            result = subprocess.run([os.path.join(work, "hookc"), server.base.rsplit(":", 1)[1], *files], check=True, capture_output=True, text=True)
            for line in result.stdout.splitlines():
                wall, total, status = line.split()
                assert status == "202", line
                answers.append((int(wall) / 1e6, int(total) / 1000))
        time.sleep(0.05)
        sampling.terminate()
        sampling.wait()
        sampler.load(samples)
        server.wait_burst("bench", args.runs + 1, 600 + 10 * args.runs)
        out["load_end"] = sbs.load()
        server.log.flush()
        time.sleep(0.5)
        lines = open(server.log.name, errors="replace").readlines()[mark:]
    finally:
        server.stop()
    day = datetime.datetime.combine(datetime.datetime.now(datetime.timezone.utc).date(), datetime.time(), datetime.timezone.utc).timestamp()
    # The last ones: the log's line count at the mark may be behind the console logger's queue.
    parts = server_parts(lines, day)[-len(answers):] if not args.no_server_logs else []
    rows = []
    for n, (wall, total) in enumerate(answers):
        row = {"n": n, "client": round(total, 1), **sampler.over(wall, wall + total / 1000)}
        if len(parts) == len(answers):
            p = parts[n]
            end = wall + total / 1000
            if p.get("accepted"):
                row["before"] = round((p["accepted"] - wall) * 1000, 1)
                row["accept"] = round((p["started"] - p["accepted"]) * 1000, 1)
            row["server"] = p["duration"]
            row["intake"] = p.get("intake")
            row["after"] = round((end - p["started"]) * 1000 - p["duration"], 1)
            row["intake_line"] = p.get("intake_line")
        rows.append(row)
    out["answers"] = len(rows)
    for key in ("client", "before", "accept", "server", "intake", "after", "machine_cpu_stall", "server_runq_wait", "client_runq_wait", "client_cpu"):
        values = [r[key] for r in rows if r.get(key) is not None]
        if values:
            out[f"{key}_p50"], out[f"{key}_p95"] = round(statistics.median(values), 1), p95(values)
    slow = sorted(rows, key=lambda r: -r["client"])[:10]
    out["slowest"] = slow
    print(json.dumps(out))
    if args.keep:
        with open(os.path.join(work, "rows.json"), "w") as f:
            json.dump(rows, f)
        print(f"kept in {work}", flush=True)


if __name__ == "__main__":
    main()
