"""``attestd serve`` in a subprocess for the benchmarks: its own database, key and directory."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

ATTESTD = Path(sys.executable).with_name("attestd")
STARTUP_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """``attestd serve`` on a free loopback port; ``environment`` adds ATTESTD_* settings."""

    def __init__(
        self, directory: Path, database_url: str, environment: Mapping[str, str] | None = None
    ) -> None:
        self.directory = directory
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log = directory / "serve.log"
        self.environment = {
            key: value for key, value in os.environ.items() if not key.startswith("ATTESTD_")
        }
        self.environment.update(
            ATTESTD_DATABASE_URL=database_url,
            ATTESTD_SIGNING_KEY_FILE=str(directory / "signing-key.pem"),
            **(environment or {}),
        )
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        if self.process is None:
            raise RuntimeError("the server is not running")
        return self.process.pid

    def start(self) -> None:
        """Start serving (serve migrates the database first) and wait until it answers."""
        with self.log.open("ab") as errors:
            self.process = subprocess.Popen(  # noqa: S603 - our own command
                [str(ATTESTD), "serve", "--port", str(self.port)],
                env=self.environment,
                cwd=self.directory,
                # The first admin token it prints is not needed: the CLI makes ours.
                stdout=subprocess.DEVNULL,
                stderr=errors,
            )
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(
                    f"attestd serve exited with {self.process.returncode}:\n{self.tail()}"
                )
            if self._healthy():
                return
            time.sleep(0.2)
        self.stop()
        raise SystemExit(f"attestd serve did not answer within {STARTUP_SECONDS} s")

    def _healthy(self) -> bool:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
        try:
            connection.request("GET", "/healthz")
            return connection.getresponse().status == 200
        except OSError:
            return False
        finally:
            connection.close()

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def cli(self, *arguments: str) -> str:
        """Run ``attestd ARGUMENTS`` against the server's database; its standard output."""
        done = subprocess.run(  # noqa: S603 - our own command
            [str(ATTESTD), *arguments],
            env=self.environment,
            cwd=self.directory,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise SystemExit(f"attestd {' '.join(arguments)} failed: {done.stderr.strip()}")
        return done.stdout.strip()

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
