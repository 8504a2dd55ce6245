"""The background worker delivers the outbox in both queue modes: SQLite (default) and a real Redis."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENQUEUE = """
from django.db import transaction
from aftersales.notifications.services import message_enqueue
with transaction.atomic():
    message_enqueue(
        channel="email", recipient="chen@example.cn", subject="服务单已受理", body="您好", dedupe_key="smoke:1"
    )
print("enqueued")
"""
STATUS = (
    "from aftersales.notifications.models import OutboxMessage as M; m = M.objects.get(); print(m.status, m.attempts)"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def manage(*args: str, env: dict[str, str], timeout: int = 120) -> str:
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args], env=env, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def base_env(tmp_path: Path) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("AFTERSALES_", "DJANGO_", "DATABASE_URL", "REDIS_URL"))
    }
    env.update({"AFTERSALES_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "aftersales.settings"})
    return env


def run_worker_until_sent(env: dict[str, str]) -> str:
    worker = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "run_huey", "--quiet", "-w", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 40
        status = ""
        while time.monotonic() < deadline:
            status = manage("shell", "--no-imports", "-c", STATUS, env=env).strip()
            if status.startswith("sent"):
                break
            time.sleep(0.5)
        return status
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=20)


def check_delivered_once(tmp_path: Path, status: str) -> None:
    assert status == "sent 1", status
    mails = list((tmp_path / "outbox-mail").glob("*.log"))
    assert len(mails) == 1
    assert "chen@example.cn" in mails[0].read_text()


def test_sqlite_queue(tmp_path):
    env = base_env(tmp_path)
    manage("migrate", "-v", "0", env=env)
    assert "enqueued" in manage("shell", "--no-imports", "-c", ENQUEUE, env=env)
    assert (tmp_path / "jobs.sqlite3").exists()
    check_delivered_once(tmp_path, run_worker_until_sent(env))


def test_redis_queue(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is missing: ./test installs it (apt-get install redis-server)")
    port = free_port()
    redis = subprocess.Popen(
        ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(50):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        env = {**base_env(tmp_path), "REDIS_URL": f"redis://127.0.0.1:{port}/0"}
        manage("migrate", "-v", "0", env=env)
        assert "enqueued" in manage("shell", "--no-imports", "-c", ENQUEUE, env=env)
        assert not (tmp_path / "jobs.sqlite3").exists()  # the queue is in Redis, not in the data dir
        check_delivered_once(tmp_path, run_worker_until_sent(env))
    finally:
        redis.terminate()
        redis.wait(timeout=10)
