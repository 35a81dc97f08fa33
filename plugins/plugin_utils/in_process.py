# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the AWS modules of the stack inside the controller's Python when the target is the controller.

Every task of the stack runs on ``localhost`` with the local connection, and every module talks to
AWS through boto3. Run the usual way, each task starts a new Python, unpacks the module, imports
boto3 and parses the botocore service models again: about a second of CPU per task before the
first API call, which is nearly all of a no-op run's time.

Here the module's own ``main()`` runs in the task's worker process instead, with exactly the
arguments Ansible would have sent it (``_update_module_args``), its printed result parsed by
Ansible's own result parser. The worker is a fork of the ``ansible-playbook`` process, and this
file is imported there once per run (the strategy loads a task's action plugin before it forks a
worker), together with boto3, the modules' shared code and the botocore data files it already
parsed, so each task starts with them in memory. The stock amazon.aws / community.aws modules the
roles use run the same way, under this collection's name (meta/runtime.yml redirects the name to the
stock module). One action plugin serves every module: plugins/action/stack_info.py, to which
meta/runtime.yml routes every other module name of the collection (``plugin_routing.action``).

The module behaves exactly as it would in its own Python: same arguments, check mode, diff, no_log
handling, warnings and result. The usual execution is used instead whenever the task does not run
in the controller's own Python: another connection or delegation, another interpreter, ``async``,
or ``APRANOVA_AWS_STACK_IN_PROCESS=0`` in the environment.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import pkgutil
import sys
import threading
import traceback
from collections.abc import Iterable
from typing import Any

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display
from ansible.utils.vars import merge_hash

try:
    from ansible.module_utils.common.json import Direction, get_module_encoder
except ImportError:  # ansible-core < 2.19: no serialization profiles; run modules the usual way
    Direction = get_module_encoder = None

try:
    import boto3  # noqa: F401  # pylint: disable=unused-import  # loaded once in the ansible-playbook process, shared by every fork
    import botocore.loaders
    HAS_BOTO3 = True
except ImportError:
    HAS_BOTO3 = False

display = Display()

PROFILE = "legacy"
LOCAL_CONNECTIONS = ("local", "ansible.builtin.local", "ansible.legacy.local")
SWITCH = "APRANOVA_AWS_STACK_IN_PROCESS"


def _cleaned(parsed: Any) -> dict[str, Any]:
    """A parsed module result without Ansible's internal keys, as ``ActionBase._execute_module`` returns it.

    ansible-core 2.21 parses into a task-result object that cleans itself; 2.19 and 2.20 into a dict
    cleaned by ``ansible.vars.clean.remove_internal_keys``.
    """
    if hasattr(parsed, "remove_internal_keys"):
        parsed.remove_internal_keys()
        return parsed.as_result_dict(for_round_trip=True)
    from ansible.vars.clean import remove_internal_keys
    parsed.pop("_ansible_suppress_tmpdir_delete", None)
    remove_internal_keys(parsed)
    return parsed


def _cache_botocore_data_files() -> None:
    """Parse each botocore data file once per ansible-playbook run instead of once per task.

    The files are read-only package data; a worker (a fork) gets the parsed copy of its parent and
    any change it makes stays in that worker.
    """
    loader = botocore.loaders.JSONFileLoader
    if getattr(loader.load_file, "_apranova_cached", False):
        return
    original = loader.load_file
    parsed = {}

    def load_file(self: Any, file_path: str) -> Any:
        if file_path not in parsed:
            parsed[file_path] = original(self, file_path)
        return parsed[file_path]

    load_file._apranova_cached = True
    loader.load_file = load_file

    # Every new session's loader lists the data directories again (hundreds of listdir/stat
    # calls, half the cost of a client once the files are parsed): list them once per run.
    listing = botocore.loaders.Loader.list_available_services
    listed = {}

    def list_available_services(self: Any, type_name: str) -> list[str]:
        key = (tuple(self.search_paths), type_name)
        if key not in listed:
            listed[key] = listing(self, type_name)
        return list(listed[key])

    botocore.loaders.Loader.list_available_services = list_available_services


def _import_all(package: str) -> None:
    """Import every module of ``package``."""
    for info in pkgutil.iter_modules(importlib.import_module(package).__path__):
        importlib.import_module(f"{package}.{info.name}")


# boto3 and the modules' shared code: imported here, in the main thread, before any warming thread
# (an import cut by a fork would leave the worker a half-made module)
if HAS_BOTO3:
    _cache_botocore_data_files()
    try:  # the modules' shared code, imported once here rather than by every task
        importlib.import_module("ansible_collections.amazon.aws.plugins.module_utils.modules")
        importlib.import_module("ansible_collections.apranova.aws_stack.plugins.module_utils.base")
    except ImportError:
        pass

try:
    from ansible_collections.apranova.aws_stack.plugins.module_utils import discovery
except ImportError:  # amazon.aws missing: no module of the collection can run, none changes a known stack
    discovery = None


# Held while the warming thread changes this process's state (``_warm_in_thread``), and by every
# fork of this process (os.register_at_fork): a worker is forked between two steps of the warming,
# never in the middle of one, so it inherits no lock the thread held and no half-built object.
_WARMING = threading.Lock()


def _release_in_child() -> None:
    # the child has no warming thread: the lock its parent held over the fork is free here
    _WARMING.release()


def _warm(services: Iterable[str]) -> None:
    """Make the shared boto3 session of the modules (module_utils/base.py ``shared_session``) and a
    client of each of ``services`` from it in this process: the service models, endpoint rules and
    the session's own set-up, inherited by every worker. The keys given here stay with these clients."""
    from ansible_collections.apranova.aws_stack.plugins.module_utils.base import shared_session

    with _WARMING:
        session = shared_session()
    for service in services:
        with _WARMING:
            try:
                session.client(service, region_name="us-east-1", aws_access_key_id="warm", aws_secret_access_key="warm")
            except Exception:  # pylint: disable=broad-except  # warming is best effort
                pass


def _warm_in_thread(services: Iterable[str]) -> threading.Thread:
    """``_warm(services)`` and then ``_freeze_heap()`` in a thread of this process, started here.

    The strategy loads this plugin when it first meets a task of the collection, run or skipped;
    site.yml meets one before the inputs are checked (playbooks/preflight.yml), so the service
    models are parsed while the checks run in workers, not after them on the way to the first AWS
    call (0.4 s). Forks wait for the step of the warming under way (``_WARMING``); a worker forked
    before the end makes the clients it still lacks itself. ansible-playbook forks its workers
    while its results thread runs in any case.
    """
    def run() -> None:
        _warm(services)
        with _WARMING:
            _freeze_heap()

    thread = threading.Thread(target=run, name="apranova.aws_stack warming", daemon=True)
    thread.start()
    return thread


def _warm_templating() -> None:
    """Load what every worker's first template needs into this process, before the workers fork.

    A worker's first template loads Ansible's builtin filter and test plugins and builds Jinja's
    lexer (about 15 ms), and its first use of one of this collection's filters imports that file
    (the collection loader compiles it): once here instead of once per task.
    """
    from ansible.plugins.loader import filter_loader, test_loader
    from ansible.template import Templar, trust_as_template

    filter_loader.get("ansible.builtin.bool")  # loads every builtin filter file
    test_loader.get("ansible.builtin.defined")
    _import_all("ansible_collections.apranova.aws_stack.plugins.filter")
    Templar().template(trust_as_template("{{ [1] | length > 0 and 1 is defined }}"))


def _freeze_heap() -> None:
    """Leave what the warming built out of every later garbage collection (``gc.freeze``).

    The service models, clients and plugins made above are a large heap that lives until the run
    ends, yet every collection walked it: in each worker, whose walk also writes to the pages it
    shares with this process (copy-on-write), and at this process's exit, where it cost about half
    a second of every run. Python's documentation of ``gc.freeze`` advises it before a fork without
    exec, for this reason. Objects made after it are collected as before.
    """
    import gc

    gc.freeze()


class InProcessModuleAction(ActionBase):
    """Action plugin of every module in this collection: see the module docstring."""

    _supports_check_mode = True
    _supports_async = True

    # the services the collection's modules use: their models are parsed in the parent, once per
    # run, before the workers fork (stack_info, the first task of every tier, needs most of them)
    WARM_SERVICES = ("cloudwatch", "ec2", "ecr", "ecs", "efs", "elasticache", "elbv2", "iam", "kms", "logs", "rds",
                     "resourcegroupstaggingapi", "secretsmanager", "sns", "sts")
    _warmed = set()
    _fork_hold = False
    _warming: threading.Thread | None = None

    @classmethod
    def warm(cls) -> None:
        todo = [s for s in cls.WARM_SERVICES if s not in InProcessModuleAction._warmed]
        if todo and HAS_BOTO3:
            InProcessModuleAction._warmed.update(todo)
            try:  # here, in the main thread: the plugin loaders are not for two threads at once
                _warm_templating()
            except Exception:  # pylint: disable=broad-except  # warming is best effort
                pass
            if not InProcessModuleAction._fork_hold:
                os.register_at_fork(before=_WARMING.acquire, after_in_parent=_WARMING.release, after_in_child=_release_in_child)
                InProcessModuleAction._fork_hold = True
            InProcessModuleAction._warming = _warm_in_thread(todo)

    def _why_not_in_process(self, task_vars: dict[str, Any]) -> str | None:
        """None when the module can run in this process, else the reason it cannot."""
        if not HAS_BOTO3 or get_module_encoder is None:
            return "boto3 or ansible-core >= 2.19 missing on the controller"
        if os.environ.get(SWITCH, "1").lower() in ("0", "false", "no", "off"):
            return f"{SWITCH} is off"
        if self._task.async_val:
            return "the task runs async"
        connection = getattr(self._connection, "_load_name", "")
        if connection not in LOCAL_CONNECTIONS:
            return f"connection {connection}"
        interpreter = task_vars.get("ansible_python_interpreter")
        if interpreter is not None:
            try:
                interpreter = self._templar.template(interpreter)
            except Exception:  # pylint: disable=broad-except
                return "ansible_python_interpreter cannot be templated"
            if not isinstance(interpreter, str) or os.path.realpath(interpreter) != os.path.realpath(sys.executable):
                return f"interpreter {interpreter} is not the controller's {sys.executable}"
        return None

    def run(self, tmp: str | None = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        result = super().run(tmp, task_vars)
        del tmp
        task_vars = task_vars or {}
        why_not = self._why_not_in_process(task_vars)
        module_name = self._module_fqcn()
        if why_not:
            display.vvv(f"{self._task.action}: runs as a separate process ({why_not})")
            result = merge_hash(result, self._execute_module(task_vars=task_vars, wrap_async=self._task.async_val))
            self._remove_tmp_path(self._connection._shell.tmpdir)
        else:
            # where -vvv would show the connection and the module's transfer and execution
            display.vvv(f"{self._task.action}: runs {module_name} in the controller's Python")
            result = merge_hash(result, self._run_in_process(module_name, task_vars))
        return self._update_known(module_name, result, task_vars)

    def _module_fqcn(self) -> str:
        """The module this task names, after routing (apranova.aws_stack.rds_subnet_group -> amazon.aws.rds_subnet_group)."""
        found = self._shared_loader_obj.module_loader.find_plugin_with_context(
            self._task.action, collection_list=self._task.collections)
        return found.resolved_fqcn if found.resolved else (self._task.resolved_action or self._task.action)

    def _update_known(self, module_name: str, result: dict[str, Any], task_vars: dict[str, Any]) -> dict[str, Any]:
        """``result``, which also brings the run's known stack up to date with what ``module_name`` did.

        ``ansible_facts.aws_stack_known`` is the stack the lookups of this run found (stack_info's
        ``known``); the later lookups and the report take from it what it holds instead of reading
        it again. After a module of the collection returns (not in check mode, where nothing changes
        and a result is only what would be), ``discovery.after_module`` drops what a change may
        have made stale and adds what the module's result tells of what it has just read or made
        (``discovery.PUBLISHES``; that starts the fact when no lookup has run yet); the result then
        sets the fact.
        """
        if not discovery or result.get("failed") or self._play_context.check_mode or "ansible_facts" in result:
            return result
        known = (task_vars.get("ansible_facts") or {}).get(discovery.KNOWN_FACT) or {}
        updated = discovery.after_module(dict(known), module_name, result, dict(self._task.args))
        if updated != known:
            result["ansible_facts"] = {discovery.KNOWN_FACT: updated}
        return result

    def _run_in_process(self, module_name: str, task_vars: dict[str, Any]) -> dict[str, Any]:
        from ansible.module_utils import basic

        namespace, collection, name = module_name.split(".")
        module_args = dict(self._task.args)
        self._update_module_args(module_name, module_args, task_vars)
        encoder = get_module_encoder(PROFILE, Direction.CONTROLLER_TO_MODULE)
        payload = json.dumps({"ANSIBLE_MODULE_ARGS": module_args}, cls=encoder).encode()

        environment = {}  # the task's `environment:` keyword, as the module's own process would get it
        self._compute_environment_string(raw_environment_out=environment)

        saved = (basic._ANSIBLE_ARGS, basic._ANSIBLE_PROFILE, sys.argv, dict(os.environ))
        stdout, stderr, rc = io.StringIO(), io.StringIO(), 0
        basic._ANSIBLE_ARGS, basic._ANSIBLE_PROFILE = payload, PROFILE
        sys.argv = [name]
        os.environ.update({str(k): str(v) for k, v in environment.items()})
        try:
            module = importlib.import_module(f"ansible_collections.{namespace}.{collection}.plugins.modules.{name}")
            with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
                try:
                    module.main()
                except SystemExit as exit_:
                    rc = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
        except Exception as ex:  # pylint: disable=broad-except  # reported like a crashed module
            return {
                "failed": True,
                "msg": f"MODULE FAILURE: {name} raised {type(ex).__name__}: {ex}",
                "exception": traceback.format_exc(),
                "module_stdout": stdout.getvalue(),
                "module_stderr": stderr.getvalue(),
                "rc": 1,
            }
        finally:
            basic._ANSIBLE_ARGS, basic._ANSIBLE_PROFILE, sys.argv, env = saved
            if environment:
                os.environ.clear()
                os.environ.update(env)

        parsed = self._parse_returned_data({"stdout": stdout.getvalue(), "stderr": stderr.getvalue(), "rc": rc}, PROFILE)
        return _cleaned(parsed)
