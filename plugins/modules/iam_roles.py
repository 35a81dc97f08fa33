#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: iam_roles
short_description: Reconcile a set of IAM roles with their inline and managed policies in one task
version_added: 0.1.0
description:
  - Creates, updates and deletes a list of IAM roles, each with its trust policy, description,
    maximum session duration, inline policies and attached managed policies, in one task.
  - Fills a gap of the stock modules, M(amazon.aws.iam_role) and M(amazon.aws.iam_policy) take a
    task per role and another per inline policy, and read one call after another (two roles with one
    inline policy each cost 16 sequential calls in four tasks when nothing changes).
  - Reads with as few calls as IAM allows, side by side - for every role at once C(GetRole)
    (description, trust policy, tags, maximum session), C(ListRolePolicies) and
    C(ListAttachedRolePolicies), and C(GetRolePolicy) for every inline policy the task names; then,
    only for a role with inline policies the task does not name, C(GetRolePolicy) for those. Two
    roles with one inline policy each cost eight calls in one round; any number of roles takes one
    round, or two.
  - Policy documents are compared after normalising both sides (IAM answers them URL-encoded; the
    order of statements and of values, a single value or a one-element list, and the default
    C(Version) make no difference), with amazon.aws's C(compare_policies).
  - An unset option leaves that attribute of an existing role alone; when set it replaces it
    (O(roles[].inline_policies) and O(roles[].managed_policies) with their purge options).
  - IAM is eventually consistent, a role just created may not be visible to the next call yet;
    with O(wait) the module waits until C(GetRole) finds it (as the C(role_exists) waiter does),
    and the inline policies and managed policies of a new role ride out C(NoSuchEntity) for up to
    O(wait_timeout) seconds; each wait is listed in RV(waited).
  - A permissions boundary and instance profiles are not managed (the role is removed from its
    instance profiles before it is deleted, the profiles are left).
  - All input is validated before any API call, and every problem is reported at once.
author:
  - Apranova platform team (!UNKNOWN)
options:
  roles:
    description:
      - The roles. With O(state=present) each is created or updated to match; with O(state=absent)
        the roles with these names are deleted (only O(roles[].name) is used).
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Role name, unique in the list (1 to 64 letters, digits and C(+=,.@_-)).
        type: str
        required: true
      assume_role_policy_document:
        description:
          - The trust policy, as a dict or JSON text. Required when O(state=present).
        type: raw
      description:
        description:
          - Description of the role (at most 1000 characters). Unset leaves it alone; V("") removes it.
        type: str
      path:
        description:
          - Path of a role to create (default V(/)), such as V(/service/).
          - IAM cannot change the path of an existing role, a different path fails the task before any change.
        type: str
      max_session_duration:
        description:
          - Maximum session duration in seconds, 3600 to 43200. Unset leaves it alone (IAM gives a new role 3600).
        type: int
      inline_policies:
        description:
          - Inline policies, policy name to document (a dict or JSON text).
          - Unset leaves the role's inline policies alone.
        type: dict
      purge_inline_policies:
        description:
          - Delete the role's inline policies that are not in O(roles[].inline_policies).
          - Ignored when O(roles[].inline_policies) is unset.
        type: bool
        default: true
      managed_policies:
        description:
          - ARNs of the managed policies attached to the role.
          - Unset leaves the attached policies alone.
        type: list
        elements: str
      purge_managed_policies:
        description:
          - Detach the managed policies that are not in O(roles[].managed_policies).
          - Ignored when O(roles[].managed_policies) is unset.
        type: bool
        default: true
  state:
    description: Whether the listed roles should exist.
    type: str
    choices: [present, absent]
    default: present
  wait:
    description:
      - Wait after creating a role until IAM's C(GetRole) finds it.
    type: bool
    default: true
  wait_timeout:
    description:
      - How long, in seconds, to wait for a new role to be visible, and for its policies to be accepted.
    type: int
    default: 120
notes:
  - The tags in O(tags) apply to every listed role.
  - In check mode nothing is changed; the C(arn), C(role_id) and C(create_date) of a role that would
    be created are null.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Reconcile the ECS task roles
  apranova.aws_stack.iam_roles:
    tags:
      Project: apranova
    roles:
      - name: production-ecs-task-execution
        description: Pull images, write logs
        assume_role_policy_document:
          Version: "2012-10-17"
          Statement:
            - Effect: Allow
              Principal: {Service: ecs-tasks.amazonaws.com}
              Action: sts:AssumeRole
        inline_policies:
          task-execution:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: [logs:CreateLogStream, logs:PutLogEvents]
                Resource: arn:aws:logs:*:*:log-group:/ecs/*
        managed_policies: []
      - name: production-ecs-task
        description: What the containers may do
        assume_role_policy_document: "{{ trust_policy | to_json }}"
        inline_policies: {}          # none: a stale inline policy is deleted
        managed_policies:
          - arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess
  register: roles

- name: Use a role's ARN
  ansible.builtin.debug:
    msg: "{{ roles.roles['production-ecs-task'].arn }}"

- name: Delete two roles (policies detached and deleted first)
  apranova.aws_stack.iam_roles:
    state: absent
    roles:
      - name: production-ecs-task
      - name: production-ecs-task-execution
"""

RETURN = r"""
roles:
  description:
    - The listed roles after the run (as they would be, in check mode), keyed by role name.
    - Empty when O(state=absent).
    - With C(--diff), the sides of C(diff) hold the roles that changed in this shape, keyed by name
      (a deleted role only before the run).
  returned: always
  type: dict
  sample:
    production-ecs-task:
      name: production-ecs-task
      arn: arn:aws:iam::123456789012:role/production-ecs-task
      role_id: AROA0123456789EXAMPLE
      path: /
      description: What the containers may do
      max_session_duration: 3600
      create_date: "2025-01-01T00:00:00+00:00"
      assume_role_policy_document: {"Version": "2012-10-17", "Statement": []}
      inline_policies: {}
      managed_policies: []
      tags: {"Project": "apranova"}
  contains:
    name:
      description: Role name.
      returned: always
      type: str
      sample: production-ecs-task
    arn:
      description: Role ARN; null for a role that check mode would create.
      returned: always
      type: str
      sample: arn:aws:iam::123456789012:role/production-ecs-task
    role_id:
      description: IAM's unique id of the role; null for a role that check mode would create.
      returned: always
      type: str
      sample: AROA0123456789EXAMPLE
    path:
      description: Path of the role.
      returned: always
      type: str
      sample: /
    description:
      description: Description, null when it has none.
      returned: always
      type: str
      sample: What the containers may do
    max_session_duration:
      description: Maximum session duration in seconds.
      returned: always
      type: int
      sample: 3600
    create_date:
      description: When the role was created (ISO 8601); null for a role that check mode would create.
      returned: always
      type: str
      sample: "2025-01-01T00:00:00+00:00"
    assume_role_policy_document:
      description: The trust policy, decoded.
      returned: always
      type: dict
      sample: {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    inline_policies:
      description: The role's inline policies, name to decoded document.
      returned: always
      type: dict
      sample: {"task": {"Version": "2012-10-17", "Statement": []}}
    managed_policies:
      description: ARNs of the attached managed policies, sorted.
      returned: always
      type: list
      elements: str
      sample: ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]
    tags:
      description: Tags of the role (C(aws:) tags left out).
      returned: always
      type: dict
      sample: {"Project": "apranova"}
deleted_roles:
  description: Names of the roles deleted (that would be deleted, in check mode), sorted.
  returned: always
  type: list
  elements: str
  sample: ["production-old-role"]
waited:
  description:
    - The waits AWS imposed that this call rode out, one line each (a resource just created not
      visible yet, a dependency still being released, a refusal that passes with time).
    - Empty when AWS imposed none. Shown with C(-v).
  returned: always
  type: list
  elements: str
  sample: ["delete subnet subnet-0123456789abcdef0: AWS answered DependencyViolation; trying again in 2 s"]
diff:
  description: The managed resources before and after, with C(--diff) (in check mode, the state the run would reach).
  returned: when diff mode is on
  type: dict
  contains:
    before:
      description: The state before the call (C({}) for nothing).
      type: raw
    after:
      description: The state after the call (C({}) for nothing).
      type: raw
"""

import copy
from typing import Any, Callable, Dict, List, Optional

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.apranova.aws_stack.plugins.module_utils import base
from ansible_collections.apranova.aws_stack.plugins.module_utils import iam
from ansible_collections.apranova.aws_stack.plugins.module_utils.base import aws_client

# What AWS gives a role created without these (API doc: CreateRole Path, MaxSessionDuration)
DEFAULT_PATH = "/"
DEFAULT_SESSION = 3600


def read_roles(client: Any, names: List[str], profiles: bool = False,
               expected: Optional[Dict[str, List[str]]] = None) -> Dict[str, Optional[dict]]:
    """The current state of each role by name (``None``: no such role), in one or two rounds of calls.

    First, for every role side by side: GetRole, ListRolePolicies, ListAttachedRolePolicies (and,
    with ``profiles``, ListInstanceProfilesForRole), and GetRolePolicy for each inline policy
    ``expected`` names for the role (the ones the task manages: IAM answers NoSuchEntity, read as
    none, for a policy or role that does not exist). Then, only when the role has inline policies
    that first round did not read, GetRolePolicy for those, side by side. Each found role is
    ``{"role": the returned dict, "profiles": [names]}``.
    """
    per_role: List[Callable[[str], Any]] = [
        lambda n: iam.get_role(client, n),
        lambda n: iam.list_role_policies(client, n),
        lambda n: iam.list_attached_role_policies(client, n),
    ]
    if profiles:
        per_role.append(lambda n: iam.list_instance_profiles_for_role(client, n))
    guessed = [(name, policy) for name in names for policy in (expected or {}).get(name) or []]
    calls = [(lambda f=f, n=n: f(n)) for n in names for f in per_role]
    calls += [(lambda n=n, p=p: iam.get_role_policy(client, n, p)) for n, p in guessed]
    answers = base.concurrently(calls)
    width = len(per_role)
    inline_docs: Dict[str, Dict[str, Any]] = {name: {} for name in names}
    for (name, policy), document in zip(guessed, answers[len(names) * width:]):
        if document is not None:
            inline_docs[name][policy] = document
    found: Dict[str, Any] = {}
    for index, name in enumerate(names):
        raw, inline, managed = answers[index * width:index * width + 3]
        if raw is None:
            found[name] = None
            continue
        found[name] = {"raw": raw, "inline": inline or [], "managed": managed or [],
                       "profiles": (answers[index * width + 3] or []) if profiles else []}
        # a document read before the listing counts only for a policy the listing has
        inline_docs[name] = {p: d for p, d in inline_docs[name].items() if p in found[name]["inline"]}
    pairs = [(name, policy) for name in names if found[name] for policy in found[name]["inline"]
             if policy not in inline_docs[name]]
    documents = base.concurrently([(lambda n=n, p=p: iam.get_role_policy(client, n, p)) for n, p in pairs]) if pairs else []
    for (name, policy), document in zip(pairs, documents):
        if document is not None:  # deleted between the two reads
            inline_docs[name][policy] = document
    return {
        name: None if state is None else {
            "role": iam.public_role(state["raw"], {p: inline_docs[name][p] for p in state["inline"] if p in inline_docs[name]},
                                    state["managed"]),
            "profiles": state["profiles"],
        }
        for name, state in found.items()
    }


def new_role(spec: Dict[str, Any]) -> dict:
    """The returned dict of a role that does not exist yet."""
    return {
        "name": spec["name"], "arn": None, "role_id": None, "path": spec.get("path") or DEFAULT_PATH,
        "description": None, "max_session_duration": DEFAULT_SESSION, "create_date": None,
        "assume_role_policy_document": None, "inline_policies": {}, "managed_policies": [], "tags": {},
    }


def desired_role(spec: Dict[str, Any], current: Optional[dict], tags: Optional[dict], purge_tags: bool) -> dict:
    """The role as it should be, in the returned shape. Documents that mean the same as the current
    ones are kept as they are, so that ``after`` equals ``before`` when nothing changes."""
    want = copy.deepcopy(current) if current else new_role(spec)
    if spec.get("description") is not None:
        want["description"] = spec["description"] or None
    if spec.get("max_session_duration") is not None:
        want["max_session_duration"] = spec["max_session_duration"]
    trust = spec["_trust"] if "_trust" in spec else iam.parse_document(spec["assume_role_policy_document"])
    if iam.documents_differ(want["assume_role_policy_document"], trust):
        want["assume_role_policy_document"] = trust
    if spec.get("inline_policies") is not None:
        wanted = spec["_inline"] if "_inline" in spec else {p: iam.parse_document(d) for p, d in spec["inline_policies"].items()}
        inline = {} if spec["purge_inline_policies"] else dict(want["inline_policies"])
        for policy, document in wanted.items():
            now = want["inline_policies"].get(policy)
            inline[policy] = now if now is not None and not iam.documents_differ(now, document) else document
        want["inline_policies"] = dict(sorted(inline.items()))
    if spec.get("managed_policies") is not None:
        managed = set(spec["managed_policies"])
        if not spec["purge_managed_policies"]:
            managed |= set(want["managed_policies"])
        want["managed_policies"] = sorted(managed)
    want["tags"] = base.merged_tags(want["tags"], tags, purge_tags)
    return want


def path_problem(spec: Dict[str, Any], current: Optional[dict]) -> Optional[str]:
    """A refusal for a path IAM cannot change (UpdateRole has no Path), or ``None``."""
    path = spec.get("path")
    if current and path is not None and path != current["path"]:
        return (f"role {spec['name']} has path {current['path']}; IAM cannot change the path of a role: "
                f"set path to {current['path']}, or delete the role (state=absent) and create it again.")
    return None


def _wait_until_visible(client: Any, name: str, timeout: float, ctx: base.Context) -> None:
    """Poll GetRole until IAM finds the new role (the ``role_exists`` waiter's check)."""
    checks = []

    def visible() -> bool:
        checks.append(1)
        return iam.get_role(client, name) is not None

    if not base.wait_for(visible, timeout=timeout):
        raise iam.AnsibleIAMError(message=f"Role {name} was created but GetRole did not find it within {timeout} s; run the task again.")
    if len(checks) > 1:
        ctx.note(f"create role {name}: GetRole did not find it at first; visible after {len(checks)} checks")


def apply_changes(client: Any, spec: Dict[str, Any], current: Optional[dict], want: dict, tags: Optional[dict],
                  purge_tags: bool, params: Dict[str, Any], ctx: base.Context) -> dict:
    """Make one role what ``want`` says (``current`` ``None``: create it). Returns ``want`` with
    the ARN, id and creation date of a new role."""
    name, timeout = spec["name"], params["wait_timeout"]
    now = current or new_role(spec)
    if current is None:
        raw = iam.create_role(client, name, want["assume_role_policy_document"], path=spec.get("path"),
                              description=want["description"], max_session_duration=spec.get("max_session_duration"),
                              tags=want["tags"])
        created = iam.public_role(raw, {}, [])
        want = dict(want, arn=created["arn"], role_id=created["role_id"], create_date=created["create_date"],
                    path=created["path"] or want["path"])
        if params["wait"]:
            _wait_until_visible(base.mark_waits(client), name, timeout, ctx)
    else:
        if iam.documents_differ(now["assume_role_policy_document"], want["assume_role_policy_document"]):
            iam.update_assume_role_policy(client, name, want["assume_role_policy_document"])
        if (now["description"], now["max_session_duration"]) != (want["description"], want["max_session_duration"]):
            iam.update_role(client, name, want["description"] or "", want["max_session_duration"])
        to_set, to_remove = base.tag_changes(now["tags"], tags, purge_tags)
        if to_remove:
            iam.untag_role(client, name, to_remove)
        if to_set:
            iam.tag_role(client, name, to_set)

    # a role just created may not be visible to IAM's next calls yet: NoSuchEntity is ridden out
    propagation = timeout if current is None else 0
    for policy in sorted(set(now["inline_policies"]) - set(want["inline_policies"])):
        iam.delete_role_policy(client, name, policy)
    for policy, document in want["inline_policies"].items():
        if iam.documents_differ(now["inline_policies"].get(policy), document):
            iam.put_role_policy(client, name, policy, document, timeout=propagation, note=ctx.note)
    for arn in sorted(set(now["managed_policies"]) - set(want["managed_policies"])):
        iam.detach_role_policy(client, name, arn)
    for arn in sorted(set(want["managed_policies"]) - set(now["managed_policies"])):
        iam.attach_role_policy(client, name, arn, timeout=propagation, note=ctx.note)
    return want


def ensure_present(client: Any, params: Dict[str, Any], ctx: base.Context) -> base.Outcome:
    """Create or update the listed roles.

    ``roles``: every listed role after the run, keyed by name; ``deleted_roles``: ``[]``. The diff
    sides hold the roles that changed, keyed by name.
    """
    specs, tags, purge_tags = params["roles"], params["tags"], params["purge_tags"]
    names = [spec["name"] for spec in specs]
    # the inline policies the task manages are read in the first round with the roles
    current = read_roles(client, names, expected={spec["name"]: sorted(spec["inline_policies"] or {}) for spec in specs})
    refusals = [p for p in (path_problem(spec, (current[spec["name"]] or {}).get("role")) for spec in specs) if p]
    if refusals:
        raise ValueError(" ".join(refusals))

    results, before, after = {}, {}, {}
    for spec in specs:
        name = spec["name"]
        now = (current[name] or {}).get("role")
        want = desired_role(spec, now, tags, purge_tags)
        if now is not None and want == now:
            results[name] = now
            continue
        if not ctx.check_mode:
            want = apply_changes(client, spec, now, want, tags, purge_tags, params, ctx)
        results[name] = after[name] = want
        if now is not None:
            before[name] = now
    return base.Outcome(bool(after), {"roles": results, "deleted_roles": []}, before=before, after=after)


def ensure_absent(client: Any, params: Dict[str, Any], ctx: base.Context) -> base.Outcome:
    """Delete the listed roles: managed policies detached, inline policies deleted, the role taken
    out of its instance profiles, then the role deleted (``roles``: ``{}``)."""
    names = [spec["name"] for spec in params["roles"]]
    current = read_roles(client, names, profiles=True)
    gone = sorted(name for name in set(names) if current[name] is not None)
    if not ctx.check_mode:
        for name in gone:
            role, profiles = current[name]["role"], current[name]["profiles"]
            for arn in role["managed_policies"]:
                iam.detach_role_policy(client, name, arn)
            for policy in role["inline_policies"]:
                iam.delete_role_policy(client, name, policy)
            for profile in profiles:
                iam.remove_role_from_instance_profile(client, name, profile)
            iam.delete_role(client, name, timeout=params["wait_timeout"], note=ctx.note)
    before = {name: current[name]["role"] for name in gone}
    return base.Outcome(bool(gone), {"roles": {}, "deleted_roles": gone}, before=before, after={})


def main() -> None:
    role_spec = dict(
        name=dict(type="str", required=True),
        assume_role_policy_document=dict(type="raw"),
        description=dict(type="str"),
        path=dict(type="str"),
        max_session_duration=dict(type="int"),
        inline_policies=dict(type="dict"),
        purge_inline_policies=dict(type="bool", default=True),
        managed_policies=dict(type="list", elements="str"),
        purge_managed_policies=dict(type="bool", default=True),
    )
    argument_spec = dict(
        roles=dict(type="list", elements="dict", required=True, options=role_spec),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=120),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = dict(module.params)
    params["roles"] = [dict(role) for role in params["roles"]]

    errors = iam.check_roles(params["roles"], params["state"])
    if params["wait_timeout"] < 1:
        errors.append(f"wait_timeout must be 1 second or more (got {params['wait_timeout']}).")
    if errors:
        module.fail_json(msg="Invalid role definitions: " + " ".join(errors), errors=errors)

    client = aws_client(module, "iam")
    base.run_state(module, client, ensure_present, ensure_absent, params=params)


if __name__ == "__main__":
    main()
