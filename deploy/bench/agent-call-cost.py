#!/usr/bin/env python3
"""The server's CPU per HTTP request, by kind: what one agent call costs in the HTTP pipeline, without a burst's other work.

Usage:  python3 deploy/bench/agent-call-cost.py [--server-dll PATH] [--calls 3000] [--rounds 3] [--out FILE]

Starts one server (side-by-side.py's Server: Release build, SQLite, the embedded agent off), registers an agent with a
registration token, then sends each kind of request --calls times over one kept-alive connection and reads the server's
utime + stime (/proc/<pid>/stat) before and after: CPU per request = the difference / calls. The kinds, each a path the
agent protocol or the server takes on every call of its kind but with as little endpoint work as it can have:
  healthz        GET /healthz: the pipeline (Kestrel, hosting, middleware, routing) around a trivial endpoint
  agent-401      POST jobs/next without a credential: the pipeline and the agent filter's refusal
  agent-next     POST jobs/next?wait=0 with the agent's credential and nothing queued: the pipeline, the credential
                 check (cached), a claim that finds nothing
  agent-404      POST attempts/<unknown>/heartbeat with the agent's credential: the pipeline, the credential, one read
  source-401     GET attempts/<unknown>/source.tar without an attempt credential (the download routes' own check)
  user-token     GET /api/agents with the bootstrap admin token (a user's token: the bearer handler's query)
Rounds repeat the kinds in turn (a warm-up round first, not counted); the table has each kind's median over the rounds.
The CPU per call moves with the machine's load as a burst's does (by a third between rounds at load 10-20): compare
builds alternated, or compare --perf profiles, whose shares per middleware hold under load.
"""
import argparse, http.client, importlib.util, json, os, signal, statistics, subprocess, sys, tempfile, time, urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))


def side_by_side():
    spec = importlib.util.spec_from_file_location("side_by_side", os.path.join(HERE, "side-by-side.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def kinds(credential, token):
    agent = {"Authorization": f"Bearer {credential}", "Content-Type": "application/json"}
    return {
        "healthz": ("GET", "/healthz", None, {}),
        "agent-401": ("POST", "/api/agent/jobs/next?wait=0", None, {}),
        "agent-next": ("POST", "/api/agent/jobs/next?wait=0", None, agent),
        "agent-404": ("POST", "/api/agent/attempts/987654321/heartbeat", None, agent),
        "source-401": ("GET", "/api/agent/attempts/987654321/source.tar", None, {}),
        "user-token": ("GET", "/api/agents", None, {"Authorization": f"Bearer {token}"}),
    }


def send_many(connection, method, path, body, headers, calls):
    statuses = {}
    for _ in range(calls):
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        statuses[response.status] = statuses.get(response.status, 0) + 1
    return statuses


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sbs = side_by_side()
    parser.add_argument("--server-dll", default=sbs.SERVER_DLL)
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", help="comma-separated kinds (default: all)")
    parser.add_argument("--out", help="a JSON file for the figures")
    parser.add_argument("--server-arg", action="append", default=[], help="a setting for the server (--Section:Key=value), repeatable")
    parser.add_argument("--perf", help="a directory: perf record -g of the server during the counted rounds (perf.data), with the "
                                       "framework's methods JIT-compiled (DOTNET_ReadyToRun=0) so that they have names in the profile")
    args = parser.parse_args()
    sbs.SERVER_DLL = os.path.abspath(args.server_dll)
    if args.perf:
        os.makedirs(args.perf, exist_ok=True)
        os.environ.update(DOTNET_PerfMapEnabled="1", DOTNET_EnableWriteXorExecute="0", DOTNET_ReadyToRun="0")

    work = tempfile.mkdtemp(prefix="pipeliner-callcost-")
    server = sbs.Server(work, "shell", ["--Pipeliner:Agent:Capacity=0", *args.server_arg])
    try:
        token = sbs.http(server.base, "POST", "/api/agents/tokens", {"name": "callcost"})["token"]
        credential = sbs.http(server.base, "POST", "/api/agent/register",
                              {"name": "callcost", "labels": ["linux"], "capacity": 1, "version": "bench"}, token=token)["credential"]
        sbs.http(server.base, "POST", "/api/agent/hello", {"labels": ["linux"], "capacity": 1, "version": "bench"}, token=credential)
        chosen = kinds(credential, sbs.TOKEN)
        if args.only:
            chosen = {k: v for k, v in chosen.items() if k in args.only.split(",")}
        address = urllib.parse.urlparse(server.base)
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=60)
        figures = {k: [] for k in chosen}
        statuses = {}
        recorder = None
        for round_ in range(args.rounds + 1):
            if round_ == 1 and args.perf:
                recorder = subprocess.Popen(["perf", "record", "-F", "499", "-g", "-p", str(server.pid), "-o", os.path.join(args.perf, "perf.data")],
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                time.sleep(1)
            for kind, (method, path, body, headers) in chosen.items():
                before = sbs.cpu_s(server.pid)
                statuses[kind] = send_many(connection, method, path, body, headers, args.calls if round_ else max(200, args.calls // 5))
                spent = sbs.cpu_s(server.pid) - before
                if round_:
                    figures[kind].append(spent * 1e6 / args.calls)
        connection.close()
        if recorder:
            recorder.send_signal(signal.SIGINT)
            recorder.wait()
        result = {"server_dll": sbs.SERVER_DLL, "calls": args.calls, "rounds": args.rounds, "load": sbs.load(),
                  "us_per_call": {k: statistics.median(v) for k, v in figures.items()}, "rounds_us": figures, "statuses": statuses}
        print(f"# {sbs.SERVER_DLL} {' '.join(args.server_arg)}  load {result['load']}  {args.calls} calls x {args.rounds} rounds")
        for kind, values in figures.items():
            print(f"{kind:12s} {statistics.median(values):8.1f} us per call  (rounds: {', '.join(f'{v:.1f}' for v in values)})  statuses {statuses[kind]}")
        if args.out:
            with open(args.out, "w") as f:
                json.dump(result, f, indent=2)
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
