"""The deployment files stay valid: docker-compose.yml, Procfile, .env.example."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
import yaml

from shared.settings import DEPRECATED_SETTINGS, FlowerSettings, Settings
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


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="docker-compose (Debian package) not installed")
def test_the_ha_profile_adds_a_master_a_replica_and_three_sentinels(tmp_path):
    shutil.copy(PROJECT_ROOT / "docker-compose.yml", tmp_path / "docker-compose.yml")
    (tmp_path / ".env").write_text("POSTGRES_PASSWORD=x\nFLOWER_BASIC_AUTH=a:b\nMINIO_ROOT_PASSWORD=m\n"
                                   "REDIS_URL=sentinel://redis-sentinel-1:26379,redis-sentinel-2:26379/0\n"
                                   "REDIS_SENTINEL_MASTER=navai\n")
    result = subprocess.run(["docker-compose", "--profile", "ha", "config"], cwd=tmp_path, capture_output=True, check=False,
                            text=True)
    assert result.returncode == 0, result.stderr
    ha = {"redis-master", "redis-replica", "redis-sentinel-1", "redis-sentinel-2", "redis-sentinel-3"}
    assert ha <= set(re.findall(r"^  ([\w-]+):$", result.stdout, re.MULTILINE))
    block = re.search(r"^  worker:\n(.*?)(?=^  \S)", result.stdout, re.MULTILINE | re.DOTALL).group(1)
    assert "REDIS_SENTINEL_MASTER: navai" in block and "REDIS_URL: sentinel://redis-sentinel-1" in block
    sentinel = yaml.safe_load(result.stdout)["services"]["redis-sentinel-1"]
    assert "sentinel monitor navai redis-master 6379 2" in sentinel["command"][0] and sentinel["profiles"] == ["ha"]


def test_procfile_runs_api_worker_beat_and_flower():
    entries = dict(line.split(":", 1) for line in (PROJECT_ROOT / "Procfile").read_text().splitlines() if line)
    assert set(entries) == {"api", "worker", "beat", "flower"}
    assert "api:create_app()" in entries["api"] and "-A workers beat" in entries["beat"]


def _variables() -> set[str]:
    """Every variable the settings read (Flower's included), not the deprecated ones."""
    return {name.upper() for model in (Settings, FlowerSettings)
            for name, spec in model.model_fields.items() if not spec.exclude}


def test_env_example_documents_every_setting():
    documented = set(re.findall(r"^([A-Z_0-9]+)=", (PROJECT_ROOT / ".env.example").read_text(), re.MULTILINE))
    assert _variables() <= documented, _variables() - documented
    assert not documented & set(DEPRECATED_SETTINGS)


def test_readme_configuration_table_lists_every_setting_and_no_deprecated_one():
    readme = (PROJECT_ROOT / "README.md").read_text()
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = "\n".join(line for line in section.splitlines() if line.startswith("| `"))
    listed = set(re.findall(r"`([A-Z][A-Z_0-9]+)`", rows))
    assert _variables() <= listed, _variables() - listed
    assert not listed & set(DEPRECATED_SETTINGS)
