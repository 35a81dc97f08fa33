# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the roles' filter plugins (plugins/filter/<tier>.py) share: Jinja's and Ansible's semantics,
and checks of their inputs' types.

The filters replace Jinja programs that lived in the roles, and read their inputs the way those
programs did, so that moving them changed no result and no message:

* ``jinja_int`` is Jinja's ``| int`` (``'80'`` -> 80, ``'8.9'`` -> 8, ``'abc'`` -> 0);
  ``strict_int`` and ``strict_float`` read numbers the same way but refuse, with an
  ``AnsibleFilterError``, what Jinja would have turned into 0.
* ``matches`` is Ansible's ``is match`` test (``re.match`` on the value as text: anchored at the
  start only, and ``$`` accepts a final newline).
* ``count_unique`` is ``| unique | length`` and ``jinja_sort_key`` the key of ``| sort``: strings
  compared without regard to case.
* ``flatten`` is Ansible's ``| flatten`` (nested lists opened, null items dropped).

The ``require_*`` checks return the value when it has the type the filter needs and otherwise raise
``AnsibleFilterError("<filter name>: <what> must be a list, got <type>")`` (or ``a dict``, or
``has no '<key>'``). Two list checks differ on purpose, each kept as its filters have always
checked: ``require_sequence`` takes any sequence but text (a range, a tuple ...), ``require_list``
only a list or a tuple.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence, Sized
from typing import Any

from jinja2.filters import do_int

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text


# ---------------------------------------------------------------- Jinja's and Ansible's semantics


def jinja_int(value: Any) -> int:
    """Jinja's ``int`` filter: ``'42'`` and ``42.7`` give 42, anything that is no number gives 0."""
    return do_int(value)


def strict_int(value: Any, what: str, filter_name: str) -> int:
    """Jinja's ``int`` filter (``'300'`` and ``300.5`` give 300), but an ``AnsibleFilterError`` where
    Jinja would give 0 (``None``, ``'abc'``, ``'inf'``) or raise OverflowError (``float('inf')``)."""
    try:
        if isinstance(value, str):
            return int(value, 10)
        return int(value)
    except (TypeError, ValueError, OverflowError):
        try:
            return int(float(value))
        except (TypeError, ValueError, OverflowError):
            raise AnsibleFilterError("%s: %s must be a number, got %r" % (filter_name, what, value))


def strict_float(value: Any, what: str, filter_name: str) -> float:
    """Jinja's ``float`` filter (``'0.5'`` gives 0.5), but an error where it would give 0.0."""
    try:
        return float(value)
    except (TypeError, ValueError):
        raise AnsibleFilterError("%s: %s must be a number, got %r" % (filter_name, what, value))


def matches(pattern: str, value: Any) -> bool:
    """Ansible's ``match`` test: ``re.match`` (anchored at the start) on the value as text."""
    return re.match(pattern, to_text(value, errors="surrogate_or_strict")) is not None


def jinja_sort_key(value: Any) -> Any:
    """The key Jinja's ``sort`` and Ansible's ``unique`` compare by: strings lower-cased, the rest as is."""
    return value.lower() if isinstance(value, str) else value


def count_unique(values: list[Any]) -> int:
    """``values | unique | length`` as Ansible computes it: strings compared case-insensitively;
    a list holding unhashable items falls back to plain equality."""
    try:
        return len({jinja_sort_key(value) for value in values})
    except TypeError:
        kept: list[Any] = []
        for value in values:
            if value not in kept:
                kept.append(value)
        return len(kept)


def flatten(values: Sequence[Any]) -> list[Any]:
    """Ansible's ``flatten``: nested lists opened at every level, None/'None'/'null' items dropped."""
    out: list[Any] = []
    for value in values:
        if value in (None, "None", "null"):
            continue
        if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
            out.extend(flatten(value))
        else:
            out.append(value)
    return out


# ---------------------------------------------------------------- input types


def is_sequence(value: Any) -> bool:
    """A list in the wide sense: any sequence (list, tuple, range ...) but text."""
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


def is_list_or_tuple(value: Any) -> bool:
    """A list in the narrow sense: a list or a tuple, nothing else."""
    return isinstance(value, (list, tuple))


def _wrong_type(filter_name: str, what: str, wanted: str, value: Any) -> AnsibleFilterError:
    return AnsibleFilterError("%s: %s must be %s, got %s" % (filter_name, what, wanted, type(value).__name__))


def require_sequence(value: Any, what: str, filter_name: str) -> list[Any]:
    """``value`` as a list when it is any sequence (``is_sequence``) but a mapping."""
    if not is_sequence(value) or isinstance(value, Mapping):
        raise _wrong_type(filter_name, what, "a list", value)
    return list(value)


def require_list(value: Any, what: str, filter_name: str) -> list[Any]:
    """``value`` as a list when it is a list or a tuple (``is_list_or_tuple``)."""
    if not is_list_or_tuple(value):
        raise _wrong_type(filter_name, what, "a list", value)
    return list(value)


def require_dict(value: Any, what: str, filter_name: str) -> Mapping[Any, Any]:
    """``value`` itself when it is a mapping."""
    if not isinstance(value, Mapping):
        raise _wrong_type(filter_name, what, "a dict", value)
    return value


def require_key(entry: Mapping[Any, Any], key: str, what: str, filter_name: str) -> Any:
    """``entry[key]``; an error that shows the entry when it has no ``key``."""
    if key not in entry:
        raise AnsibleFilterError("%s: %s has no '%s' (%r)" % (filter_name, what, key, dict(entry)))
    return entry[key]


def require_length(value: Any, what: str, filter_name: str) -> int:
    """``value | length`` for anything that has a length (a list, also text or a dict); an error
    for anything else (``None``, a number), where Jinja's ``length`` would fail with a TypeError."""
    if not isinstance(value, Sized):
        raise _wrong_type(filter_name, what, "a list", value)
    return len(value)
