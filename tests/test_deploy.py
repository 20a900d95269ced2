"""The deployment files stay valid: docker-compose.yml, Procfile, .env.example."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import fields

import pytest

from shared.settings import Settings
from tests.support.workers import PROJECT_ROOT


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="docker-compose (Debian package) not installed")
def test_docker_compose_config_is_valid(tmp_path):
    shutil.copy(PROJECT_ROOT / "docker-compose.yml", tmp_path / "docker-compose.yml")
    (tmp_path / ".env").write_text("POSTGRES_PASSWORD=x\nFLOWER_BASIC_AUTH=a:b\nMINIO_ROOT_PASSWORD=m\n"
                                   "JWT_SECRET_KEY=" + "k" * 32 + "\n")
    result = subprocess.run(["docker-compose", "config"], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    services = set(re.findall(r"^  ([\w-]+):$", result.stdout, re.MULTILINE))
    assert {"db", "redis", "minio", "minio-bucket", "migrate", "api", "worker", "beat", "flower"} <= services
    config = result.stdout
    for service in ("api", "worker", "beat"):  # every process that touches files finds the bucket
        block = re.search(rf"^  {service}:\n(.*?)(?=^  \S)", config, re.MULTILINE | re.DOTALL).group(1)
        assert "STORAGE_URL: s3://navai" in block and "AWS_ENDPOINT_URL_S3: http://minio:9000" in block, service


def test_procfile_runs_api_worker_beat_and_flower():
    entries = dict(line.split(":", 1) for line in (PROJECT_ROOT / "Procfile").read_text().splitlines() if line)
    assert set(entries) == {"api", "worker", "beat", "flower"}
    assert "api:create_app()" in entries["api"] and "-A workers beat" in entries["beat"]


def test_env_example_documents_every_setting():
    documented = set(re.findall(r"^([A-Z_0-9]+)=", (PROJECT_ROOT / ".env.example").read_text(), re.MULTILINE))
    expected = {spec.name.upper() for spec in fields(Settings) if spec.name != "secrets_generated"}
    assert expected <= documented, expected - documented
