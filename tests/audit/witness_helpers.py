"""Witness processes for tests: ``python -m custody.witness`` set up and served on a free port."""

from __future__ import annotations

import select
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
AGENCIES = ("PDGA", "PDJC", "PDFY")


def witness_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "custody.witness", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=timeout,
    )


@dataclass
class WitnessProcess:
    code: str
    name: str
    directory: Path
    vkey: str
    url: str
    process: subprocess.Popen[str]

    @property
    def config(self) -> str:
        return str(self.directory / "witness.json")

    @property
    def state(self) -> Path:
        return self.directory / "state.json"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


def start_witness(directory: Path, code: str, log_vkey: str) -> WitnessProcess:
    """Set up a witness (its own key and state) for the log, and serve it on a free port."""
    name = f"witness.{code.lower()}.example/custody"
    setup = witness_cli("init", str(directory), "--name", name, "--log-vkey", log_vkey)
    assert setup.returncode == 0, setup.stderr
    vkey = setup.stdout.strip().splitlines()[-1]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "custody.witness",
            "serve",
            "--config",
            str(directory / "witness.json"),
            "--listen",
            "127.0.0.1:0",
            "--quiet",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], 30)
    line = process.stdout.readline() if ready else ""
    if "listening on" not in line:
        process.kill()
        raise AssertionError(
            f"the witness did not start: {line!r} {process.stderr.read() if process.stderr else ''}"
        )
    return WitnessProcess(code, name, directory, vkey, line.split()[-1], process)
