"""plugins/plugin_utils/in_process.py and its routing: when a module runs in the controller's Python.

Every module name of the collection (its own modules and the stock ones meta/runtime.yml re-exports)
must reach the one action plugin, and the plugin must fall back to the usual execution whenever the
task does not run in the controller's own Python.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

REPO = Path(__file__).resolve().parents[4]

from ansible_collections.apranova.aws_stack.plugins.plugin_utils import in_process

RUNTIME = yaml.safe_load((REPO / "meta" / "runtime.yml").read_text())
ACTION = "apranova.aws_stack.stack_info"


def test_one_action_plugin_serves_every_module_name():
    assert sorted(p.name for p in (REPO / "plugins" / "action").glob("*.py")) == ["stack_info.py"]
    own = {p.stem for p in (REPO / "plugins" / "modules").glob("*.py") if p.stem != "__init__"}
    modules = RUNTIME["plugin_routing"]["modules"]
    reexported = {name for name, meta in modules.items() if "redirect" in meta}
    # the collection's own modules name the action plugin in their module routing ...
    routed = {name: meta["action_plugin"] for name, meta in modules.items() if "action_plugin" in meta}
    assert set(routed) | {"stack_info"} == own
    # ... the re-exported stock modules reach it through the action routing
    actions = {name: meta["redirect"] for name, meta in RUNTIME["plugin_routing"]["action"].items()}
    assert set(actions) == reexported
    assert set(routed.values()) | set(actions.values()) == {ACTION}
    group = {x for x in RUNTIME["action_groups"]["aws_stack"] if isinstance(x, str)}
    # every module that talks to AWS takes the group's region, endpoint and credentials
    assert group == (own | reexported) - {"report_files"}


def _action(connection="local", async_val=0, interpreter=None):
    action = in_process.InProcessModuleAction.__new__(in_process.InProcessModuleAction)
    action._task = SimpleNamespace(async_val=async_val, action="apranova.aws_stack.ec2_subnets")
    action._connection = SimpleNamespace(_load_name=connection)
    action._templar = SimpleNamespace(template=lambda value: value)
    return action, ({} if interpreter is None else {"ansible_python_interpreter": interpreter})


def test_runs_in_process_only_in_the_controllers_own_python(monkeypatch):
    monkeypatch.delenv(in_process.SWITCH, raising=False)
    action, task_vars = _action()
    assert action._why_not_in_process(task_vars) is None
    action, task_vars = _action(interpreter=sys.executable)
    assert action._why_not_in_process(task_vars) is None

    assert "connection ssh" == _action(connection="ssh")[0]._why_not_in_process({})
    assert "async" in _action(async_val=30)[0]._why_not_in_process({})
    action, task_vars = _action(interpreter="/usr/bin/python3.9")
    assert "is not the controller's" in action._why_not_in_process(task_vars)
    for off in ("0", "false", "no", "off"):
        monkeypatch.setenv(in_process.SWITCH, off)
        assert "is off" in _action()[0]._why_not_in_process({})


PLAY = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: A module that fails its own validation before any AWS call
      apranova.aws_stack.ec2_subnets:
        vpc_id: vpc-1
        subnets: [{cidr: 10.0.0.0/24}]
        state: present
      register: custom
      ignore_errors: true  # noqa: ignore-errors
    - name: A stock module re-exported under the collection's name, with an argument it does not take
      apranova.aws_stack.sts_assume_role:
        role_arn: arn:aws:iam::123456789012:role/x
        role_session_name: x
        no_such_option: 1
      register: stock
      ignore_errors: true  # noqa: ignore-errors
    - name: Write both results
      ansible.builtin.copy:
        content: "{{ {'custom': custom.msg, 'stock': stock.msg} | to_json }}"
        dest: "{{ results_file }}"
        mode: "0600"
"""


@pytest.mark.parametrize("switch", ["1", "0"])
def test_a_module_fails_the_same_way_in_process_and_in_its_own_python(tmp_path, switch):
    (tmp_path / "play.yml").write_text(PLAY)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ANSIBLE_"))}
    env.update(ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), AWS_DEFAULT_REGION="us-east-1",
               AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_ENDPOINT_URL="http://127.0.0.1:1",
               PATH=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}", **{in_process.SWITCH: switch})
    proc = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local",
                           "-e", f"ansible_python_interpreter={sys.executable}",
                           "-e", f"results_file={tmp_path / 'results.json'}", "-vvv", str(tmp_path / "play.yml")],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    out = proc.stdout + proc.stderr
    results = json.loads((tmp_path / "results.json").read_text())
    assert "subnets" in results["custom"] and "name" in results["custom"], results
    assert "no_such_option" in results["stock"], results
    separate = "runs as a separate process" in out
    assert separate == (switch == "0"), out[-3000:]


from ansible_collections.apranova.aws_stack.plugins.module_utils import discovery  # noqa: E402

KNOWN = {"_run": discovery.run_marker(), "account_id": "123456789012", "db_instance": {"identifier": "db"}, "cluster": {"name": "c"},
         "services": {"web": {"desired_count": 1}}}


def _forgetting(resolved, check_mode=False):
    action = in_process.InProcessModuleAction.__new__(in_process.InProcessModuleAction)
    action._task = SimpleNamespace(action=resolved.rsplit(".", 1)[-1], args={})
    action._play_context = SimpleNamespace(check_mode=check_mode)
    return action


def test_a_module_that_changed_drops_from_the_known_stack_what_it_may_have_made_stale():
    task_vars = {"ansible_facts": {"aws_stack_known": KNOWN}}
    result = _forgetting("apranova.aws_stack.ecs_service")._update_known("apranova.aws_stack.ecs_service", {"changed": True}, task_vars)
    stale = sorted({"services"} | set(discovery.DETAIL_KEYS))
    assert result["ansible_facts"]["aws_stack_known"] == dict({k: v for k, v in KNOWN.items() if k != "services"}, _stale=stale)
    # a stock module re-exported by the collection changes nothing a lookup holds
    result = _forgetting("amazon.aws.sts_assume_role")._update_known("amazon.aws.sts_assume_role", {"changed": True}, task_vars)
    assert result["ansible_facts"]["aws_stack_known"] == dict(KNOWN, _stale=sorted(discovery.DETAIL_KEYS))
    # any other module may have changed anything but who the caller is
    result = _forgetting("other.collection.thing")._update_known("other.collection.thing", {"changed": True}, task_vars)
    assert result["ansible_facts"]["aws_stack_known"] == {"_run": KNOWN["_run"], "account_id": "123456789012",
                                                          "_stale": sorted({"*"} | set(discovery.DETAIL_KEYS))}


@pytest.mark.parametrize("result, check_mode, facts", [
    ({"changed": False}, False, {"aws_stack_known": KNOWN}),  # nothing changed
    ({"changed": True}, True, {"aws_stack_known": KNOWN}),  # check mode changes nothing in AWS
    ({"changed": False}, False, {}),  # no lookup has run, and this module publishes nothing
    ({"changed": False, "ansible_facts": {"aws_stack_known": {"_run": "1:2"}}}, False, {"aws_stack_known": KNOWN}),  # a lookup's own
    ({"changed": True, "failed": True}, False, {"aws_stack_known": KNOWN}),  # a failed task sets no fact
    ({"changed": True}, False, {"aws_stack_known": dict(KNOWN, _run="1:2")}),  # another run's: the lookups ignore it
])
def test_the_known_stack_is_left_alone_when_nothing_changed_it(result, check_mode, facts):
    before = dict(result)
    assert _forgetting("apranova.aws_stack.ecs_service", check_mode)._update_known(
        "apranova.aws_stack.ecs_service", dict(result), {"ansible_facts": facts}) == before


def test_the_warmed_heap_is_left_out_of_later_garbage_collections(monkeypatch):
    """What warm() builds is frozen (gc.freeze): no worker's collection, nor the run's exit, walks it."""
    import gc

    monkeypatch.setattr(in_process.InProcessModuleAction, "_warmed", set())
    monkeypatch.setattr(in_process, "_warm", lambda services: None)
    gc.unfreeze()
    try:
        assert gc.get_freeze_count() == 0
        in_process.InProcessModuleAction.warm()
        in_process.InProcessModuleAction._warming.join(30)
        assert gc.get_freeze_count() > 0
        assert in_process.InProcessModuleAction._warmed == set(in_process.InProcessModuleAction.WARM_SERVICES)
    finally:
        gc.unfreeze()


def test_the_warming_runs_beside_this_thread_and_a_fork_waits_for_its_step_under_way(monkeypatch):
    """warm() returns while the service models are made in a thread; a fork made meanwhile waits for
    the step under way (it gets none of the thread's locks), and the child finds the lock free."""
    import threading
    import time
    import warnings

    step = threading.Event()
    done = []

    def slow_warm(services):
        with in_process._WARMING:
            step.set()
            time.sleep(0.5)
            done.append("step")

    monkeypatch.setattr(in_process.InProcessModuleAction, "_warmed", set())
    monkeypatch.setattr(in_process, "_warm", slow_warm)
    monkeypatch.setattr(in_process, "_freeze_heap", lambda: None)
    in_process.InProcessModuleAction.warm()
    assert step.wait(10) and not done  # warm() has returned; the step is under way in the thread
    with warnings.catch_warnings():  # Python's warning of a fork in a multi-threaded process: that is the point here
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child: the step had ended before the fork, and the lock is free here
        os._exit(0 if done == ["step"] and in_process._WARMING.acquire(blocking=False) else 1)
    assert done == ["step"]
    assert os.waitpid(pid, 0)[1] == 0
    in_process.InProcessModuleAction._warming.join(30)
