#!/usr/bin/env python3
"""Every documented operation's answers to bad input, from one server, as JSON lines to diff between two builds.

Usage:  python3 deploy/bench/bad-input-answers.py --server-dll /tmp/a/Pipeliner.Server.dll --out /tmp/a.jsonl
        python3 deploy/bench/bad-input-answers.py --server-dll /tmp/b/Pipeliner.Server.dll --out /tmp/b.jsonl
        diff /tmp/a.jsonl /tmp/b.jsonl

Starts a server as side-by-side.py does (shell backend, no agent work), makes one project, reads the OpenAPI document
(kept beside --out as .openapi.json) and sends each operation: a non-number in each query parameter, and for a request
body malformed JSON, an empty body, null, [], a wrong type, a form body and a body without a content type. Each line is
the request, the status, the content type and the body with the trace id and timestamps masked. Written when the Request
Delegate Generator was tried (docs/performance.md, issue 15): a change in how parameters are bound shows here as text.
"""
import argparse, importlib.util, json, os, re, shutil, tempfile, urllib.error, urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("side_by_side", os.path.join(HERE, "side-by-side.py"))
sbs = importlib.util.module_from_spec(spec)
spec.loader.exec_module(sbs)

BODIES = ((b"{", "application/json"), (b"", "application/json"), (b"null", "application/json"), (b"[]", "application/json"),
          (b'{"name": 5, "id": "x"}', "application/json"), (b"a=b", "application/x-www-form-urlencoded"), (b"{}", None))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server-dll", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    sbs.SERVER_DLL = os.path.abspath(args.server_dll)
    work = tempfile.mkdtemp(prefix="pipeliner-bad-input-")
    server = sbs.Server(work, "shell")
    try:
        with open(args.out, "w") as out:
            def call(method, path, body=None, content_type="application/json", token=sbs.TOKEN):
                headers = ({"Content-Type": content_type} if content_type else {}) | ({"Authorization": f"Bearer {token}"} if token else {})
                request = urllib.request.Request(server.base + path, data=body, method=method, headers=headers)
                try:
                    with urllib.request.urlopen(request, timeout=60) as response:
                        status, kind, text = response.status, response.headers.get("Content-Type"), response.read().decode(errors="replace")
                except urllib.error.HTTPError as error:
                    status, kind, text = error.code, error.headers.get("Content-Type"), error.read().decode(errors="replace")
                text = re.sub(r'"traceId":"[^"]*"', '"traceId":"-"', text)
                text = re.sub(r"\d{4}-\d\d-\d\dT[0-9:.+Z-]+", "TIME", text)
                out.write(json.dumps({"request": f"{method} {path} [{content_type}] {body!r}", "status": status, "type": kind,
                                      "body": text[:600]}) + "\n")

            server.project("bench", sbs.ONE_JOB)
            document = sbs.http(server.base, "GET", "/openapi/v1.json")
            with open(args.out + ".openapi.json", "w") as f:
                json.dump(document, f, indent=1, sort_keys=True)
            for path, operations in sorted(document["paths"].items()):
                # The agent protocol's calls go unauthenticated (no agent is registered): what is answered first is compared.
                token = None if path.startswith("/api/agent/") and "register" not in path else sbs.TOKEN
                concrete = re.sub(r"\{(\w+)\}", lambda m: "bench" if m.group(1) == "project" else "1" if m.group(1) in ("id", "number") else "x", path)
                for method, operation in sorted(operations.items()):
                    for parameter in operation.get("parameters", []):
                        if parameter.get("in") == "query":
                            call(method.upper(), f"{concrete}?{parameter['name']}=not-a-number", token=token)
                    if "requestBody" in operation:
                        for body, content_type in BODIES:
                            call(method.upper(), concrete, body, content_type, token=token)
            call("GET", "/api/runs/abc")
            call("GET", "/api/runs/99999999999999999999")
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
