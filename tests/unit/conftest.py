"""Unit-test fixtures: fake AWS credentials, and moto's in-process backend behind them.

Everything goes through ``monkeypatch``, so no test leaks its environment into the next one.
Fixtures that play canned answers with botocore's ``Stubber`` take ``fake_credentials``; those
that run against moto take ``offline_aws``.
"""

from __future__ import annotations

import pytest
from moto import mock_aws


@pytest.fixture
def fake_credentials(monkeypatch):
    """Fake credentials and region, and no endpoint or profile that would send calls elsewhere."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for key in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)


# moto imports a service's backend on its first request. The collection's modules read several
# services side by side (threads), and two threads importing backends that import each other can
# meet Python's import-lock deadlock detection (_DeadlockError); imported here, once, beforehand.
MOTO_BACKENDS = ("ec2", "rds", "secretsmanager", "elasticache", "efs", "elbv2", "ecs", "ecr", "logs", "sns", "sts",
                 "iam", "cloudwatch")


def _import_moto_backends():
    import importlib
    for service in MOTO_BACKENDS:
        try:
            importlib.import_module("moto.%s.models" % service)
        except ImportError:
            pass


@pytest.fixture
def offline_aws(fake_credentials):
    """moto's in-process AWS for the length of the test (clients made inside it talk to moto)."""
    _import_moto_backends()
    with mock_aws():
        yield
