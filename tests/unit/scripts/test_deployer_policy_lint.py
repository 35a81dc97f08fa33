"""docs/deployer-policy.json passes parliament, duo-labs' IAM policy linter, with a short allow-list.

parliament (https://github.com/duo-labs/parliament) checks a policy against its own copy of the AWS
Service Authorization Reference: unknown service prefixes and actions (a typo), malformed ARNs,
resources that no resource type of the statement's actions can be (RESOURCE_MISMATCH), "*" where an
action has resource types (RESOURCE_STAR), bad Sids, condition keys and operators, and policy
structure. The test runs it the way its CLI does by default (no community auditors, whose
"permissions management" category names every iam:*Role action the deployer needs by design, and
no private auditors).

Every finding fails the test unless ALLOWED below explains it. The second test feeds a deliberately
broken copy of the policy and asserts that parliament reports each breakage.
"""

from __future__ import annotations

import copy
import importlib.resources
import json
import re
import sys
import types
from pathlib import Path
from typing import NamedTuple

REPO = Path(__file__).resolve().parents[3]
POLICY = REPO / "docs" / "deployer-policy.json"


def _import_parliament() -> types.ModuleType:
    """parliament 1.6.4, which loads its data files through pkg_resources at import.

    pkg_resources is gone from setuptools >= 81 (constraints.txt pins 84.2.1): a stand-in with the one
    function parliament calls is put in place for the import only, then taken away again.
    """
    try:
        import pkg_resources  # noqa: F401  (an older setuptools still has it)
    except ModuleNotFoundError:
        shim = types.ModuleType("pkg_resources")
        shim.resource_filename = lambda package, name: str(importlib.resources.files(package) / name)  # type: ignore[attr-defined]
        sys.modules["pkg_resources"] = shim
        try:
            import parliament
        finally:
            del sys.modules["pkg_resources"]
        return parliament
    import parliament
    return parliament


parliament = _import_parliament()


class Finding(NamedTuple):
    """One finding about one action (or string) of the policy, with the line of its statement."""

    issue: str  # parliament's code, e.g. RESOURCE_STAR
    subject: str  # the action, or the string the finding is about (an ARN, a Sid)
    detail: str  # what parliament expected (an ARN format), or its message
    line: int  # in json.dumps(policy, indent=2), i.e. in docs/deployer-policy.json

    def __str__(self) -> str:
        return "%s %s %s (line %s)" % (self.issue, self.subject, self.detail, self.line)


class Allowed(NamedTuple):
    issue: str
    subject: str  # a regular expression, matched whole
    detail: str  # a regular expression, matched whole
    reason: str

    def covers(self, finding: Finding) -> bool:
        return (finding.issue == self.issue and re.fullmatch(self.subject, finding.subject) is not None
                and re.fullmatch(self.detail, finding.detail) is not None)


ALLOWED = [
    # The statement "AnyResource" holds the actions the generator leaves on "*" on purpose
    # (docs/deployer-policy.md, "What is scoped how"); parliament reports each action of it that
    # has a resource type. Two families, and no other action:
    Allowed("RESOURCE_STAR", r"(?!secretsmanager:GetSecretValue$)[a-z0-9-]+:(Describe|List|Get)\w+", r"\*",
            "reads: called without a name (a list, a describe of all) AWS authorizes them against '*', "
            "which a name pattern does not match; the one read of data, GetSecretValue, stays scoped"),
    Allowed("RESOURCE_STAR", r"(ec2|elasticfilesystem):\w+", r"\*",
            "EC2 and EFS resources are named by ids AWS picks at creation (vpc-..., fs-...), unknown to "
            "the policy beforehand: no name pattern can scope them"),
    # CreateRule names one listener; the Service Authorization Reference marks both its types,
    # listener/app and listener/net, "required" (either one), and parliament asks for a resource of
    # each. The stack has an Application Load Balancer only.
    Allowed("RESOURCE_MISMATCH", r"elasticloadbalancing:CreateRule", r"arn:\*:elasticloadbalancing:\*:\*:listener/net/.*",
            "the stack's listeners are listener/app; listener/net is the other alternative"),
]


def _line(location: object) -> int:
    return location.get("line", 0) if isinstance(location, dict) else 0


def findings(policy: dict) -> list[Finding]:
    """parliament's findings on ``policy``, one per action where parliament lists several."""
    text = json.dumps(policy, indent=2)
    result = parliament.analyze_policy_string(text, ignore_private_auditors=True)
    out: set[Finding] = set()
    for f in result.findings:
        line = _line(f.location)
        if f.issue == "RESOURCE_STAR":
            out |= {Finding(f.issue, action, "*", line) for action in f.detail}
        elif f.issue == "RESOURCE_MISMATCH":
            out |= {Finding(f.issue, d["action"], d["required_format"], line) for d in f.detail}
        else:
            subject = f.location.get("string", "") if isinstance(f.location, dict) else ""
            out.add(Finding(f.issue, str(subject), str(f.detail or ""), line))
    return sorted(out)


def unexplained(found: list[Finding]) -> list[Finding]:
    return [f for f in found if not any(a.covers(f) for a in ALLOWED)]


def test_the_deployer_policy_has_no_finding_but_the_allowed_ones():
    found = findings(json.loads(POLICY.read_text()))
    news = unexplained(found)
    assert news == [], "parliament on docs/deployer-policy.json:\n" + "\n".join(map(str, news))
    # and the allow-list stays as small as the policy needs: every entry still explains a finding
    unused = [a for a in ALLOWED if not any(a.covers(f) for f in found)]
    assert unused == [], "allow-list entries that explain nothing any more: %s" % unused


def test_a_broken_policy_is_reported():
    policy = json.loads(POLICY.read_text())
    broken = copy.deepcopy(policy)
    rds = next(st for st in broken["Statement"] if st["Sid"] == "RdsStack")
    rds["Action"].append("rds:CreateDBInstanse")  # a typo
    sns = next(st for st in broken["Statement"] if st["Sid"] == "SnsStack")
    sns["Resource"] = "arn:aws:sns:*:production-*"  # the account field lost: five parts
    logs = next(st for st in broken["Statement"] if st["Sid"] == "LogsStack")
    logs["Resource"] = ["arn:aws:logs:*:*:loggroup:/ecs/*"]  # a resource type logs does not have
    news = unexplained(findings(broken))
    assert {(f.issue, f.subject) for f in news} >= {
        ("UNKNOWN_ACTION", "rds:CreateDBInstanse"),
        ("INVALID_ARN", "arn:aws:sns:*:production-*"),
        ("RESOURCE_MISMATCH", "logs:CreateLogGroup"),
    }, "\n".join(map(str, news))
    # the allow-list does not hide a "*" on a write of a service scoped by name, nor on the DB password
    for action in ("rds:CreateDBInstance", "secretsmanager:GetSecretValue"):
        star = {"Sid": "Star", "Effect": "Allow", "Action": [action], "Resource": "*"}
        assert [f.subject for f in unexplained(findings({**policy, "Statement": [star]}))] == [action]
