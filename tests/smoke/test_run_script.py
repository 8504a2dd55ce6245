"""`./run` from the README: brings up the web server and the worker on a fresh data dir, and Ctrl-C stops both."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_run_serves_the_site_and_stops_cleanly_on_ctrl_c(tmp_path):
    port = free_port()
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("AFTERSALES_", "DJANGO_", "DATABASE_URL", "REDIS_URL"))
    }
    env.update({"PORT": str(port), "AFTERSALES_DATA_DIR": str(tmp_path), "AFTERSALES_DEMO": "0"})
    proc = subprocess.Popen(
        [str(ROOT / "run")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output: list[str] = []
    try:
        deadline = time.monotonic() + 150
        assert proc.stdout is not None
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            output.append(line)
            if f"http://127.0.0.1:{port}/" in line:
                break
        text = "".join(output)
        assert f"http://127.0.0.1:{port}/" in text, text
        assert "password" in text  # the administrator's generated password, shown once

        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=10) as response:
            html = response.read().decode()
        assert response.status == 200 and "csrfmiddlewaretoken" in html
        css = html.split('href="')[1].split('"')[0]
        assert "/static/" in css
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{css}", timeout=10) as response:
            assert response.status == 200
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=10) as response:
            assert response.status == 200
        assert (tmp_path / "aftersales.sqlite3").exists() and (tmp_path / "jobs.sqlite3").exists()
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            rest, _ = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise
    assert "stopped" in rest, rest
    # nothing left listening
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0
