"""`make run` refuses to start Flower, and so anything, without FLOWER_BASIC_AUTH (issue #12, point 5)."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.support.workers import PROJECT_ROOT

REFUSAL_TIMEOUT_S = 60


def test_make_run_refuses_without_flower_basic_auth(tmp_path):
    (tmp_path / ".env").write_text("NAVAI_ENV=development\nJWT_SECRET_KEY=" + "k" * 48 + "\n")
    env = {key: value for key, value in os.environ.items() if not key.startswith("FLOWER_")}
    result = subprocess.run([sys.executable, "-m", "devstack", "--workdir", str(tmp_path), "--exit-when-healthy"],
                            cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=REFUSAL_TIMEOUT_S)
    assert result.returncode == 1
    assert "refuses to start without authentication: set FLOWER_BASIC_AUTH" in result.stderr
    assert "navai-sync is running" not in result.stdout
