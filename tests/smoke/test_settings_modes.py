"""Configuration modes, checked in fresh interpreters: production passes `check --deploy`; queues switch."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    full_env = {
        k: v for k, v in os.environ.items() if not k.startswith(("AFTERSALES_", "DATABASE_URL", "REDIS_URL", "DJANGO_"))
    }
    full_env.update({"AFTERSALES_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "aftersales.settings", **env})
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args], env=full_env, capture_output=True, text=True, timeout=120
    )


def test_production_mode_passes_check_deploy(tmp_path):
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={
            "AFTERSALES_ENV": "production",
            "AFTERSALES_SECRET_KEY": "x" * 20 + "Yz8#kq!p0s9-longer-than-fifty-characters-and-random-looking",
            "AFTERSALES_ALLOWED_HOSTS": "service.example.cn",
        },
        tmp_path=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_mode_refuses_to_start_without_a_secret_key(tmp_path):
    result = run_manage("check", env={"AFTERSALES_ENV": "production"}, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "AFTERSALES_SECRET_KEY" in result.stderr


def test_local_mode_keeps_a_generated_secret_key_in_the_data_dir(tmp_path):
    assert run_manage("check", env={}, tmp_path=tmp_path).returncode == 0
    key = (tmp_path / "secret_key").read_text()
    assert len(key) >= 50
    assert run_manage("check", env={}, tmp_path=tmp_path).returncode == 0
    assert (tmp_path / "secret_key").read_text() == key


def test_job_queue_is_sqlite_by_default_and_redis_with_redis_url(tmp_path):
    code = "from huey.contrib.djhuey import HUEY; print(type(HUEY).__name__, getattr(HUEY.storage, 'filename', ''))"
    default = run_manage("shell", "--no-imports", "-c", code, env={}, tmp_path=tmp_path)
    assert default.stdout.startswith("SqliteHuey"), default.stderr
    assert str(tmp_path) in default.stdout
    redis = run_manage(
        "shell", "--no-imports", "-c", code, env={"REDIS_URL": "redis://127.0.0.1:6399/0"}, tmp_path=tmp_path
    )
    assert redis.stdout.startswith("RedisHuey"), redis.stderr


def test_database_url_selects_postgresql(tmp_path):
    code = "from django.db import connection; print(connection.vendor, connection.settings_dict['CONN_MAX_AGE'])"
    result = run_manage(
        "shell", "--no-imports", "-c", code, env={"DATABASE_URL": "postgres://u:p@127.0.0.1:5999/x"}, tmp_path=tmp_path
    )
    assert result.stdout.split() == ["postgresql", "600"], result.stderr
