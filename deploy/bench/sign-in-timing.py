#!/usr/bin/env python3
"""Sign-in answer times against a real server process: does a refusal take as long whether or not the user exists?

Starts the Release build of the server (no agent) on a free loopback port, gives a user a password, then sends
POST /api/session one at a time, interleaved: a wrong password for the existing user, an unknown user, a user
without a password, and the right password. All come from 127.0.0.1, so the slowdown's limits are raised for the run:
every attempt is really checked. Reports p50 and p95 per kind.

Usage: python3 deploy/bench/sign-in-timing.py [attempts per kind, default 40]   (builds the server in Release)
"""
import json, os, socket, statistics, subprocess, sys, tempfile, time, urllib.error, urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TOKEN = "plr_benchmark_token_0123456789"
PASSWORD = "a benchmark passphrase"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base, method, path, body, token=True):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {TOKEN}"
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(), method=method, headers=headers)
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=60) as response:
            status = response.status
    except urllib.error.HTTPError as e:
        status = e.code
    return status, (time.perf_counter() - start) * 1000


def main():
    attempts = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    subprocess.run(["dotnet", "build", os.path.join(ROOT, "src", "Pipeliner.Server"), "-c", "Release", "-v", "q", "-nologo"],
                   check=True, stdout=subprocess.DEVNULL)
    dll = os.path.join(ROOT, "src", "Pipeliner.Server", "bin", "Release", "net10.0", "Pipeliner.Server.dll")
    data = tempfile.mkdtemp(prefix="pipeliner-sign-in-bench-")
    base = f"http://127.0.0.1:{free_port()}"
    server = subprocess.Popen(["dotnet", dll, "--urls", base, f"--Pipeliner:DataDir={data}", f"--Pipeliner:BootstrapToken={TOKEN}",
                               "--Pipeliner:Agent:Capacity=0", "--Pipeliner:Auth:SignInThrottle:FailuresPerUser=1000",
                               "--Pipeliner:Auth:SignInThrottle:FailuresPerAddress=10000"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        call(base, "POST", "/api/users", {"name": "bench", "role": "viewer"})
        call(base, "PATCH", "/api/users/bench", {"password": PASSWORD})
        call(base, "POST", "/api/users", {"name": "tokens-only", "role": "viewer"})
        kinds = {
            "wrong password": {"user": "bench", "password": "not the password"},
            "unknown user": {"user": "nobody-at-all", "password": "not the password"},
            "user without password": {"user": "tokens-only", "password": "not the password"},
            "right password": {"user": "bench", "password": PASSWORD},
        }
        for body in kinds.values():  # warm-up
            call(base, "POST", "/api/session", body, token=False)
        times = {kind: [] for kind in kinds}
        for _ in range(attempts):
            for kind, body in kinds.items():
                status, ms = call(base, "POST", "/api/session", body, token=False)
                expected = 204 if kind == "right password" else 401
                if status != expected:
                    raise SystemExit(f"{kind}: answered {status}, expected {expected}")
                times[kind].append(ms)
        print(f"POST /api/session, {attempts} attempts per kind, one at a time:")
        for kind, values in times.items():
            values.sort()
            print(f"  {kind:24} p50 {statistics.median(values):6.1f} ms   p95 {values[int(len(values) * 0.95) - 1]:6.1f} ms")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
