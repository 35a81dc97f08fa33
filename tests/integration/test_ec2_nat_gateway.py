"""Integration test of apranova.aws_stack.ec2_nat_gateway against the moto server."""

from __future__ import annotations

from conftest import run_playbook

PLAYBOOK = "tests/integration/playbooks/ec2_nat_gateway/main.yml"
INVENTORY = "tests/integration/inventory.yml"


def _tags(resource):
    return {t["Key"]: t["Value"] for t in resource.get("Tags", [])}


def _live_nats(ec2):
    gateways = ec2.describe_nat_gateways()["NatGateways"]
    return {_tags(g).get("Name"): g for g in gateways if g["State"] in ("pending", "available")}


def _addresses(ec2):
    return {a["AllocationId"]: a for a in ec2.describe_addresses()["Addresses"]}


def test_ec2_nat_gateway(aws):
    ec2 = aws.client("ec2")
    # The Elastic IP given to it-nat-b through allocation_id: the module must never release it.
    given = ec2.allocate_address(
        Domain="vpc", TagSpecifications=[{"ResourceType": "elastic-ip", "Tags": [{"Key": "Name", "Value": "given"}]}]
    )["AllocationId"]
    # An address left behind by an interrupted run (allocated, tagged, no NAT): it must be reused.
    leftover = ec2.allocate_address(
        Domain="vpc", TagSpecifications=[{"ResourceType": "elastic-ip", "Tags": [{"Key": "Name", "Value": "it-nat-a-eip"}]}]
    )["AllocationId"]
    extra = {"it_allocation_id": given}

    run = run_playbook(aws, PLAYBOOK, inventory=INVENTORY, tags="create", extra_vars=extra)
    assert run.rc == 0, run
    nats = _live_nats(ec2)
    assert set(nats) == {"it-nat-a", "it-nat-b"}
    assert len([g for g in ec2.describe_nat_gateways()["NatGateways"]]) == 2, "a rerun created another gateway"
    assert nats["it-nat-a"]["NatGatewayAddresses"][0]["AllocationId"] == leftover
    assert nats["it-nat-b"]["NatGatewayAddresses"][0]["AllocationId"] == given
    assert _tags(nats["it-nat-a"]) == {"Name": "it-nat-a", "Project": "it"}
    assert _tags(nats["it-nat-b"]) == {"Name": "it-nat-b", "Project": "it", "Zone": "b"}
    addresses = _addresses(ec2)
    assert set(addresses) == {given, leftover}, "an Elastic IP leaked"
    assert _tags(addresses[leftover]) == {"Name": "it-nat-a-eip", "Project": "it"}
    assert _tags(addresses[given]) == {"Name": "given"}
    ids = {name: g["NatGatewayId"] for name, g in nats.items()}

    run = run_playbook(aws, PLAYBOOK, inventory=INVENTORY, tags="update", extra_vars=extra)
    assert run.rc == 0, run
    nats = _live_nats(ec2)
    assert {name: g["NatGatewayId"] for name, g in nats.items()} == ids
    assert _tags(nats["it-nat-a"]) == {"Name": "it-nat-a", "Project": "it", "Env": "test"}
    assert _tags(nats["it-nat-b"]) == {"Name": "it-nat-b", "Project": "it", "Env": "test", "Zone": "b"}
    addresses = _addresses(ec2)
    assert _tags(addresses[leftover]) == {"Name": "it-nat-a-eip", "Project": "it", "Env": "test"}
    assert _tags(addresses[given]) == {"Name": "given"}, "the module retagged an address it does not own"

    run = run_playbook(aws, PLAYBOOK, inventory=INVENTORY, tags="delete", extra_vars=extra)
    assert run.rc == 0, run
    assert _live_nats(ec2) == {}
    states = {g["NatGatewayId"]: g["State"] for g in ec2.describe_nat_gateways()["NatGateways"]}
    assert states == {ids["it-nat-a"]: "deleted", ids["it-nat-b"]: "deleted"}
    assert set(_addresses(ec2)) == {given}, "the module's Elastic IP was not released, or the given one was"

    # Recreate after deletion: a new gateway and a new Elastic IP, still exactly one of each.
    run = run_playbook(aws, PLAYBOOK, inventory=INVENTORY, tags="create", extra_vars=extra)
    assert run.rc == 0, run
    nats = _live_nats(ec2)
    assert set(nats) == {"it-nat-a", "it-nat-b"}
    assert nats["it-nat-a"]["NatGatewayId"] != ids["it-nat-a"]
    assert len(_addresses(ec2)) == 2
