"""End-to-end smoke check of `attestd serve`, as `make run` starts it.

Starts the real command on a fresh SQLite database and a free loopback port,
takes the admin token it prints, and checks /healthz, /readyz, /docs and
/v1/services with that token; then restarts it and checks that no second
token is printed. Exits non-zero on the first failure.

    .venv/bin/python scripts/smoke_serve.py
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ATTESTD = Path(sys.executable).with_name("attestd")
TOKEN = re.compile(r"\batd_[A-Za-z0-9_-]{43}\b")
STARTUP_SECONDS = 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def request(
    url: str, *, token: str | None = None, body: dict[str, str] | None = None
) -> tuple[int, bytes]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    call = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310 - loopback only
    try:
        with urllib.request.urlopen(call, timeout=5) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def serve(database_url: str, port: int, log: Path) -> subprocess.Popen[str]:
    """Start `attestd serve` and wait until it answers."""
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("ATTESTD_")
    }
    environment["ATTESTD_DATABASE_URL"] = database_url
    with log.open("a") as errors:
        process = subprocess.Popen(  # noqa: S603 - our own command
            [str(ATTESTD), "serve", "--port", str(port)],
            env=environment,
            # Its own working directory: the development key goes to ./var/ there.
            cwd=log.parent,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"attestd serve exited with {process.returncode}; see {log}")
        try:
            status, _ = request(f"http://127.0.0.1:{port}/healthz")
        except OSError:
            time.sleep(0.2)
            continue
        if status == 200:
            break
    else:
        process.kill()
        raise SystemExit(f"attestd serve did not answer within {STARTUP_SECONDS} s")
    return process


def stop(process: subprocess.Popen[str]) -> str:
    process.terminate()
    try:
        output, _ = process.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    return output


def check(condition: bool, what: str) -> None:
    if not condition:
        raise SystemExit(f"FAIL: {what}")
    print(f"ok   {what}")


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="attestd-smoke-") as directory:
        database_url = f"sqlite:///{directory}/var/attestd.db"
        log = Path(directory) / "serve.log"
        port = free_port()
        base = f"http://127.0.0.1:{port}"

        process = serve(database_url, port, log)
        try:
            check(request(f"{base}/healthz")[0] == 200, "/healthz answers 200")
            check(request(f"{base}/readyz")[0] == 200, "/readyz answers 200")
            check(request(f"{base}/docs")[0] == 200, "/docs answers 200")
            check(request(f"{base}/v1/services")[0] == 401, "/v1/services without a token is 401")
            status, body = request(f"{base}/v1/audit/checkpoint")
            check(
                status == 200 and json.loads(body)["tree_size"] == 1,
                "the checkpoint counts the first admin token's leaf",
            )
            key_file = Path(directory) / "var" / "signing-key.pem"
            check(key_file.is_file(), "a development signing key was generated under ./var/")
        finally:
            printed = stop(process)
        tokens = TOKEN.findall(printed)
        check(len(tokens) == 1, "the first start printed exactly one admin token")

        process = serve(database_url, port, log)
        try:
            status, _ = request(
                f"{base}/v1/services",
                token=tokens[0],
                body={"name": "smoke", "repository": "https://github.com/acme/smoke"},
            )
            check(status == 201, "the printed token registers a service")
            status, listing = request(f"{base}/v1/services", token=tokens[0])
            names = [item["name"] for item in json.loads(listing)["items"]]
            check(status == 200 and names == ["smoke"], "the printed token lists services")
        finally:
            printed = stop(process)
        check(TOKEN.search(printed) is None, "a second start prints no token")
    print("smoke check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
