"""Secrets in output (issue 6): the DB master password never reaches a log, an output or a report.

site.yml builds the whole stack on a wiped emulator with -vvv (module arguments and results are
printed) and ANSIBLE_LOG_PATH set. The password the stack generated is then read from Secrets
Manager with boto3 and searched, in the plain and the escaped forms it could take, in the console
output, the log file and every file under reports/ (the guide of this run, written to a directory of
the test, and the repository's reports/ if present), and in the -vvv output of a `--check --diff`
run that would change the database and of a confirmed teardown.
"""

from __future__ import annotations

import json
import urllib.parse

from conftest import REPO, run_playbook

SECRET = "production/apranova-db/master"


def forms(secret: str) -> set[str]:
    """The ways a value can appear in text: as is, JSON-escaped, URL-encoded, repr'd."""
    return {secret, json.dumps(secret)[1:-1], urllib.parse.quote(secret, safe=""), urllib.parse.quote_plus(secret),
            repr(secret)[1:-1]}


def files_under(*roots):
    for root in roots:
        if root.is_dir():
            yield from (p for p in sorted(root.rglob("*")) if p.is_file())


def test_db_password_is_in_no_output_log_or_report(aws, tmp_path):
    log = tmp_path / "ansible.log"
    reports = tmp_path / "reports"
    run = run_playbook(aws, "site.yml", args=["-vvv"], env={"ANSIBLE_LOG_PATH": str(log)},
                       extra_vars={"report_dir": str(reports / "production")})
    assert run.rc == 0, run

    value = aws.client("secretsmanager").get_secret_value(SecretId=SECRET)["SecretString"]
    password = json.loads(value)["password"]
    # long enough that finding it by chance is impossible, and the secret the database uses
    assert len(password) >= 16, "the generated password is too short to be searched for: %r" % len(password)
    db = aws.client("rds").describe_db_instances(DBInstanceIdentifier="production-apranova-db")["DBInstances"][0]
    assert db["MasterUsername"] == json.loads(value)["username"]

    # the run really was verbose and logged, module results included (the secret's ARN, read back
    # from the emulator, is in the result of the task that generated the password)
    arn = aws.client("secretsmanager").describe_secret(SecretId=SECRET)["ARN"]
    (tmp_path / "output.txt").write_text(run.out)
    assert "in the controller's Python" in run.out and "task path:" in run.out, "no -vvv output to search"
    assert arn in run.out, "the module results are not in the output"
    log_text = log.read_text()
    assert "Request the PostgreSQL instance" in log_text and arn in log_text, "the log file is empty or not verbose"
    guide = reports / "production" / "architecture.md"
    assert guide.is_file() and SECRET in guide.read_text(), "the guide of this run was not written"

    # the other outputs that print module arguments and results, both -vvv: a --check --diff run
    # with a change to the database (its diff is printed) and a teardown
    drift = run_playbook(aws, "site.yml", args=["-vvv", "--skip-tags", "report,summary"], check=True, diff=True,
                         extra_vars={"data_rds_allocated_storage": 30})
    assert drift.rc == 0 and drift.changed > 0 and "allocated_storage" in drift.out, drift
    down = run_playbook(aws, "playbooks/teardown.yml", args=["-vvv"],
                        extra_vars={"confirm_teardown": "production", "teardown_disable_deletion_protection": True})
    assert down.rc == 0 and "task path:" in down.out, down  # -vvv: task paths and module results

    leaks = []
    for form in forms(password) | forms(value):
        for name, out in (("console output", run.out), ("--check --diff output", drift.out), ("teardown output", down.out)):
            if form in out:
                leaks.append(name)
        if form in log_text:
            leaks.append(f"log file {log}")
        for path in files_under(reports, REPO / "reports"):
            if form in path.read_text(errors="replace"):
                leaks.append(str(path))
    assert not leaks, "the DB password appears in: %s" % sorted(set(leaks))
