"""Benchmark callback (scripts/bench.py, profile): logs, as JSON lines, when each task starts and each result arrives."""
from __future__ import annotations
import json
import os
import time
from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_tasks"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self._f = open(os.environ["BENCH_TASK_LOG"], "a")

    def _w(self, **kw):
        kw["t"] = time.time()
        self._f.write(json.dumps(kw) + "\n")
        self._f.flush()

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._w(ev="task", task=task.get_name(), action=task.action)

    def v2_playbook_on_stats(self, stats):
        self._w(ev="end")

    def v2_runner_on_ok(self, result, **kwargs):
        self._w(ev="ok")

    def v2_runner_on_failed(self, result, **kwargs):
        self._w(ev="ok")

    def v2_runner_item_on_ok(self, result):
        self._w(ev="item")

    def v2_runner_item_on_failed(self, result):
        self._w(ev="item")
