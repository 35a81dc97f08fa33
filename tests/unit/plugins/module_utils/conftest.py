"""Fixtures shared by the module_utils tests that run against moto's in-process backend."""

from __future__ import annotations

import boto3
import pytest

from ...aws_answers import retrying


@pytest.fixture
def moto_clients(offline_aws):
    """``client(service)``: one retrying boto3 client per service on moto, made on first use."""
    made = {}

    def client(service):
        if service not in made:
            made[service] = retrying(boto3.client(service, region_name="us-east-1"))
        return made[service]

    yield client
