"""`make run`'s launcher on embedded defaults: SQLite file, bundled Redis, all processes healthy."""

from __future__ import annotations

import os
import subprocess
import sys

from dotenv import dotenv_values

from tests.support.services import free_port
from tests.support.workers import PROJECT_ROOT

DEVSTACK_TIMEOUT_S = 180
# What a fresh machine would not have set: the launcher must choose for itself.
UNSET = ("DATABASE_URL", "NAVAI_ENV", "JWT_SECRET_KEY", "HEMIS_API_URL", "HEMIS_BEARER_TOKEN", "SIPUNI_USER",
         "SIPUNI_SECRET", "SIPUNI_API_URL", "DATA_DIR", "WEBHOOK_API_KEY", "FLOWER_BASIC_AUTH")


def test_devstack_starts_everything_on_embedded_defaults(tmp_path):
    env = {key: value for key, value in os.environ.items() if key not in UNSET}
    # Nothing listens on this port, so the launcher has to start its bundled Redis there.
    port = free_port()
    env.update(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0", PORT=str(port), FLOWER_PORT=str(free_port()))
    for name in ("AI_SIMULATOR", "STT_API_URL", "AI_PROVIDER"):
        env.pop(name, None)
    result = subprocess.run([sys.executable, "-m", "devstack", "--workdir", str(tmp_path), "--exit-when-healthy"],
                            cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=DEVSTACK_TIMEOUT_S)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "started the bundled Redis" in output
    assert "navai-sync is running" in output and "admin@navai.local / " in output
    assert f"Runs    http://127.0.0.1:{port}/" in output  # the runs page
    assert "SIMULATED speech-to-text and LLM" in output  # no STT/LLM configured: the AI simulator runs
    assert (tmp_path / ".data" / "navai.sqlite3").exists()
    written = dotenv_values(tmp_path / ".env")
    assert len(written["JWT_SECRET_KEY"]) >= 32 and written["NAVAI_ENV"] == "development"
    # The admin's password is shown once, on the first start; the JWT secret never is.
    assert written["JWT_SECRET_KEY"] not in output
