#!/usr/bin/env python3
"""Where a profile-burst.py profile's samples go, each sample counted once: the agent endpoints, the webhook, the runs
list, the HTTP pipeline outside endpoints, or the server's other threads and work.

Usage:  perf script -i OUT/perf.data -F comm,tid,ip,sym,dso > OUT/script.txt
        python3 deploy/bench/profile-shares.py OUT/script.txt [RUNS]

A sample on a thread-pool or socket thread goes to the first endpoint whose method is on its stack (the `done`
endpoint first: its run change and next claim are its own), else to "the HTTP pipeline outside endpoints" when a
Kestrel, hosting, routing, authentication, middleware, dependency-injection, pipe or socket frame is on it, else to
"other Pipeliner work" or "no identified frame" (an async continuation whose callers are gone, SQLite's native code).
Precompiled framework code has no symbol in the perf map: its frames count by their library's name. Samples on the
server's named threads (the delivery worker, the intake journal, ...) go to their thread. With RUNS, also per run.
"""
import collections, re, sys

PIPELINE = re.compile(r'Kestrel|AspNetCore\.(Hosting|Routing|Http|Diagnostics|Authentication|Authorization|HostFiltering|StaticFiles|WebUtilities)'
                      r'|Prometheus\.HttpMetrics|Pipeliner\.Server\.Http\.(UnknownCharsetGuard|AgentTrafficMeter)|AntiForgeryGuard|BearerTokenHandler'
                      r'|SessionHandler|OwnCredentialCheck|Microsoft\.Extensions\.DependencyInjection|System\.IO\.Pipelines|System\.Net\.Sockets')
ENDPOINTS = [
    ("done", r'AgentDoneEndpoint'),
    ("jobs/next", r'AgentProtocolEndpoints.*NextAsync'),
    ("the agent filter (credential check)", r'AuthenticateAgentAsync|AgentDirectory::AuthenticateAsync|AgentDirectory\+<AuthenticateAsync'),
    ("heartbeat, log", r'AgentProtocolEndpoints.*(Heartbeat|AppendLog|LogPosition)'),
    ("source archives (made at run creation; source.tar)", r'AgentTransfers|SourceArchives'),
    ("the webhook", r'Pipeliner\.Server\.Webhooks\.\w*Endpoint|WebhookEndpoints|WebhookIntake'),
    ("the runs list (the benchmark's polls)", r'Pipeliner\.Server\.Runs\.\w*Endpoints|RunReader|RunQueries'),
    ("another endpoint", r'Pipeliner\.Server\.\w+\.\w*Endpoints?[:+]'),
]
POOL_THREADS = ('.NET TP Worker', '.NET Sockets', '.NET TP Gate', 'Kestrel Timer')


def samples(path):
    comm, frames = None, []
    for line in open(path, errors="replace"):
        if not line.strip():
            if comm is not None:
                yield comm, frames
            comm, frames = None, []
        elif not line[0].isspace():
            comm, frames = line.rsplit(None, 1)[0].strip(), []
        else:
            parts = line.strip().split(None, 1)
            rest = parts[1] if len(parts) > 1 else ""
            m = re.match(r'(.*) \(([^()]*)\)$', rest)
            sym, dso = (m.group(1), m.group(2)) if m else (rest, "")
            frames.append("[" + dso.rsplit("/", 1)[-1] + "]" if sym.startswith("[unknown]") or not sym else sym)
    if comm is not None:
        yield comm, frames


def method(frame):
    m = re.search(r'\] ([^\s\[\]]+::[^\s(]+)\(', frame)
    return m.group(1) if m else frame[:140]


def classify(comm, frames):
    if comm not in POOL_THREADS:
        return "thread: " + comm
    names = [method(f) for f in frames]
    joined = "\n".join(names)
    for label, pattern in ENDPOINTS:
        if re.search(pattern, joined):
            return "endpoint: " + label
    if any(PIPELINE.search(n) for n in names):
        return "the HTTP pipeline outside endpoints"
    return "other Pipeliner work" if "Pipeliner" in joined else "no identified frame"


def main():
    runs = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
    counts = collections.Counter(classify(comm, frames) for comm, frames in samples(sys.argv[1]))
    total = sum(counts.values())
    print(f"{total} samples" + (f", {total / runs:.2f} per run" if runs != 1 else ""))
    for label, n in counts.most_common():
        print(f"{n:6d} {100 * n / total:5.1f}%" + (f" {n / runs:6.2f}/run" if runs != 1 else "") + f"  {label}")


if __name__ == "__main__":
    main()
