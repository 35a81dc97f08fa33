"""The shared unit-test fixtures (conftest.py) and the ``retrying`` helper (aws_answers.py)."""

from __future__ import annotations

import os

import boto3

from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from .aws_answers import retrying


def test_fake_credentials_drop_an_endpoint_and_a_profile_set_before(monkeypatch, request):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("AWS_PROFILE", "somebody")
    request.getfixturevalue("fake_credentials")
    assert "AWS_ENDPOINT_URL" not in os.environ and "AWS_PROFILE" not in os.environ
    assert (os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"]) == ("testing", "testing")
    assert os.environ["AWS_DEFAULT_REGION"] == "us-east-1"


def test_offline_aws_answers_in_process(offline_aws):
    client = retrying(boto3.client("ec2", region_name="us-east-1"))
    vpc = client.create_vpc(CidrBlock="10.7.0.0/16", aws_retry=True)["Vpc"]["VpcId"]
    assert [v["VpcId"] for v in client.describe_vpcs(VpcIds=[vpc], aws_retry=True)["Vpcs"]] == [vpc]


def test_retrying_wraps_the_client_it_is_given(offline_aws):
    raw = boto3.client("efs", region_name="us-east-1")
    for wrapped in (retrying(raw), retrying(raw, ["FileSystemNotFound"])):
        assert isinstance(wrapped, RetryingBotoClientWrapper) and wrapped.client is raw
