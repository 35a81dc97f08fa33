# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Monthly cost model of the stack (filters ``stack_cost`` and ``stack_cost_diff``).

The model prices a *bill of materials* (what the stack is made of) with a dated price table of
one region. The same bill shape comes from two places:

* the inventory (``roles/report/vars/main.yml`` builds it from the tiers' variables), for the
  estimate ``site.yml --check`` prints before anything changes;
* the live stack (``apranova.aws_stack.stack_report`` returns it as ``bill``), for the guide.

Bill of materials (every key optional)::

    fargate:         [{name, cpu (CPU units, 1024 = 1 vCPU), memory (MiB), count, architecture}]
    nat_gateways:    int
    load_balancers:  int
    db_instances:    [{name, instance_class, multi_az, storage_type, storage_gb}]
    cache_clusters:  [{name, node_type, nodes}]
    file_systems:    int
    repositories:    int
    log_groups:      int
    alarms:          int
    dashboards:      int
    secrets:         int

Price table (one region, see ``roles/report/vars/main.yml``)::

    date, currency, fargate.{vcpu_hour, gb_hour}, nat_gateway.{hour, gb_processed},
    alb.{hour, lcu_hour}, rds_instance_hour.<class>, rds_storage_gb_month.<type>,
    elasticache_node_hour.<type>, efs_standard_gb_month, ecr_gb_month,
    logs.{ingest_gb, stored_gb_month}, alarm_month, dashboard_month, secret_month

Assumptions (the report role's defaults): ``hours_per_month`` (730), ``efs_gb`` (per file system),
``ecr_gb`` (per repository), ``log_ingest_gb`` and ``log_stored_gb`` (per log group and month),
``nat_processed_gb`` (per NAT gateway and month), ``alb_lcu`` (average LCUs per load balancer).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Callable

try:
    from ansible.errors import AnsibleFilterError
except ImportError:  # pragma: no cover - only outside Ansible
    AnsibleFilterError = ValueError

DEFAULT_ASSUMPTIONS = {
    "hours_per_month": 730,
    "efs_gb": 30.0,
    "ecr_gb": 0.5,
    "log_ingest_gb": 1.0,
    "log_stored_gb": 1.0,
    "nat_processed_gb": 0.0,
    "alb_lcu": 0.0,
}

# service -> category of the guide's "Cost Attribution" section, in display order
CATEGORIES = (
    ("Compute", ("ECS Fargate",)),
    ("Database", ("RDS", "ElastiCache")),
    ("Networking", ("NAT Gateway", "Application Load Balancer")),
    ("Storage", ("EFS",)),
    ("Other", ("ECR", "CloudWatch", "Secrets Manager")),
)
CATEGORY_OF = dict((svc, cat) for cat, services in CATEGORIES for svc in services)
CATEGORY_ORDER = [cat for cat, dummy in CATEGORIES]


def _num(value: Any, what: str, kind: Callable[[Any], Any] = float) -> Any:
    if isinstance(value, bool):
        raise AnsibleFilterError("stack_cost: %s must be a number, got %r" % (what, value))
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise AnsibleFilterError("stack_cost: %s must be a number, got %r" % (what, value))


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "1", "on")
    return bool(value)


def _money(value: float) -> str:
    return "$%.2f" % value


def _fmt(value: float, places: int = 4) -> str:
    """A number without useless decimals: 0.5, 1, 0.25, 20 (prices: places=6, 0.004445)."""
    text = ("%.*f" % (places, value)).rstrip("0").rstrip(".")
    return text or "0"


def _p(price: float) -> str:
    return _fmt(price, 6)


def _price(prices: Mapping[str, Any], path: str | Sequence[str], region: str) -> tuple[float | None, str | None]:
    """prices['a']['b'] for path ('a', 'b') (or 'a.b' when no part has a dot); (None, message) when
    the table lacks it. Instance classes contain dots (db.t3.micro), so callers pass tuples for them."""
    parts = tuple(path) if isinstance(path, (list, tuple)) else tuple(path.split("."))
    label = ".".join(parts)
    node = prices
    for part in parts:
        if not isinstance(node, dict) or part not in node:
            return None, "no price '%s' in the %s price table (roles/report/vars/main.yml): add it" % (label, region)
        node = node[part]
    return _num(node, "price %s" % label), None


class _Bill(object):
    """Collects the cost lines of one estimate."""

    def __init__(self, prices: Mapping[str, Any], assumptions: dict[str, Any], region: str) -> None:
        self.prices = prices
        self.a = assumptions
        self.region = region
        self.lines = []
        self.unpriced = []

    def price(self, path: str | Sequence[str]) -> float | None:
        value, problem = _price(self.prices, path, self.region)
        if problem:
            self.unpriced.append(problem)
        return value

    def add(self, key: str, service: str, label: str, monthly: float, formula: str, used: dict[str, float],
            quantity: dict[str, Any]) -> None:
        self.lines.append({
            "key": key,
            "service": service,
            "category": CATEGORY_OF[service],
            "label": label,
            "monthly": round(monthly, 2),
            "exact": monthly,
            "formula": formula,
            "prices": used,
            "quantity": quantity,
        })


def _count_and_prices(b: _Bill, count: Any, what: str, *paths: str) -> tuple[int, list[float]] | None:
    """``count`` (of ``what``) as an int and the prices at ``paths``; ``None`` when there is nothing
    to price (a count of 0) or a price is missing (``b.unpriced`` then says which)."""
    count = _num(count or 0, what, int)
    if not count:
        return None
    prices = [b.price(path) for path in paths]
    if None in prices:
        return None
    return count, prices


def _fargate(b: _Bill, tasks: Sequence[Mapping[str, Any]] | None) -> None:
    hours = b.a["hours_per_month"]
    vcpu_hour, gb_hour = b.price("fargate.vcpu_hour"), b.price("fargate.gb_hour")
    if vcpu_hour is None or gb_hour is None:
        return
    for task in tasks or []:
        name = task.get("name") or "service"
        arch = str(task.get("architecture") or "X86_64").upper()
        if arch not in ("X86_64", "X86-64", "AMD64"):
            b.unpriced.append("Fargate %s runs on %s: the price table has Linux/x86 prices only" % (name, arch))
            continue
        vcpu = _num(task.get("cpu", 0), "fargate cpu of %s" % name) / 1024.0
        gb = _num(task.get("memory", 0), "fargate memory of %s" % name) / 1024.0
        count = _num(task.get("count", 1), "fargate count of %s" % name, int)
        monthly = count * (vcpu * vcpu_hour + gb * gb_hour) * hours
        b.add("fargate:%s" % name, "ECS Fargate", "%s Fargate" % name, monthly,
              "%d task x (%s vCPU x $%s + %s GB x $%s) x %s h" % (count, _fmt(vcpu), _p(vcpu_hour), _fmt(gb), _p(gb_hour), hours),
              {"fargate.vcpu_hour": vcpu_hour, "fargate.gb_hour": gb_hour},
              {"tasks": count, "vcpu": vcpu, "memory_gb": gb})


def _nat(b: _Bill, count: Any) -> None:
    priced = _count_and_prices(b, count, "nat_gateways", "nat_gateway.hour", "nat_gateway.gb_processed")
    if priced is None:
        return
    count, (hour, per_gb) = priced
    hours, gb = b.a["hours_per_month"], b.a["nat_processed_gb"]
    monthly = count * (hour * hours + per_gb * gb)
    b.add("nat", "NAT Gateway", "NAT Gateway", monthly,
          "%d x ($%s x %s h + %s GB processed x $%s)" % (count, _p(hour), hours, _fmt(gb), _p(per_gb)),
          {"nat_gateway.hour": hour, "nat_gateway.gb_processed": per_gb},
          {"nat_gateways": count, "processed_gb": gb})


def _alb(b: _Bill, count: Any) -> None:
    priced = _count_and_prices(b, count, "load_balancers", "alb.hour", "alb.lcu_hour")
    if priced is None:
        return
    count, (hour, lcu_hour) = priced
    hours, lcu = b.a["hours_per_month"], b.a["alb_lcu"]
    monthly = count * (hour + lcu * lcu_hour) * hours
    b.add("alb", "Application Load Balancer", "ALB", monthly,
          "%d x ($%s + %s LCU x $%s) x %s h" % (count, _p(hour), _fmt(lcu), _p(lcu_hour), hours),
          {"alb.hour": hour, "alb.lcu_hour": lcu_hour},
          {"load_balancers": count, "lcu": lcu})


def _rds(b: _Bill, instances: Sequence[Mapping[str, Any]] | None) -> None:
    hours = b.a["hours_per_month"]
    for db in instances or []:
        name = db.get("name") or "db"
        klass = db.get("instance_class")
        stype = db.get("storage_type") or "gp2"
        hour = b.price(("rds_instance_hour", klass))
        per_gb = b.price(("rds_storage_gb_month", stype))
        if hour is None or per_gb is None:
            continue
        copies = 2 if _bool(db.get("multi_az")) else 1
        gb = _num(db.get("storage_gb", 0), "storage of %s" % name)
        monthly = copies * (hour * hours + gb * per_gb)
        formula = "%s%s x $%s x %s h + %s GB %s x $%s" % (
            klass, " Multi-AZ x2" if copies == 2 else "", _p(hour), hours, _fmt(gb * copies), stype, _p(per_gb))
        b.add("rds:%s" % name, "RDS", "RDS PostgreSQL %s" % name, monthly, formula,
              {"rds_instance_hour.%s" % klass: hour, "rds_storage_gb_month.%s" % stype: per_gb},
              {"instance_class": klass, "multi_az": copies == 2, "storage_gb": gb, "storage_type": stype})


def _cache(b: _Bill, clusters: Sequence[Mapping[str, Any]] | None) -> None:
    hours = b.a["hours_per_month"]
    for cache in clusters or []:
        name = cache.get("name") or "cache"
        node_type = cache.get("node_type")
        hour = b.price(("elasticache_node_hour", node_type))
        if hour is None:
            continue
        nodes = _num(cache.get("nodes", 1), "nodes of %s" % name, int)
        monthly = nodes * hour * hours
        b.add("elasticache:%s" % name, "ElastiCache", "ElastiCache Redis %s" % name, monthly,
              "%d node %s x $%s x %s h" % (nodes, node_type, _p(hour), hours),
              {"elasticache_node_hour.%s" % node_type: hour}, {"node_type": node_type, "nodes": nodes})


def _per_gb(b: _Bill, key: str, service: str, label: str, count: Any, price_path: str, gb_each: float, unit: str,
            unit_label: str) -> None:
    priced = _count_and_prices(b, count, key, price_path)
    if priced is None:
        return
    count, (price,) = priced
    monthly = count * gb_each * price
    b.add(key, service, label, monthly,
          "%d %s x %s GB (assumed) x $%s per GB-month" % (count, unit_label, _fmt(gb_each), _p(price)),
          {price_path: price}, {unit: count, "gb_each": gb_each})


def _cloudwatch(b: _Bill, log_groups: Any, alarms: Any, dashboards: Any) -> None:
    log_groups = _num(log_groups or 0, "log_groups", int)
    alarms = _num(alarms or 0, "alarms", int)
    dashboards = _num(dashboards or 0, "dashboards", int)
    if not (log_groups or alarms or dashboards):
        return
    ingest, stored = b.price("logs.ingest_gb"), b.price("logs.stored_gb_month")
    alarm, dashboard = b.price("alarm_month"), b.price("dashboard_month")
    if None in (ingest, stored, alarm, dashboard):
        return
    in_gb, st_gb = b.a["log_ingest_gb"], b.a["log_stored_gb"]
    monthly = log_groups * (in_gb * ingest + st_gb * stored) + alarms * alarm + dashboards * dashboard
    b.add("cloudwatch", "CloudWatch", "CloudWatch", monthly,
          "%d log group(s) x (%s GB ingested x $%s + %s GB stored x $%s) + %d alarm(s) x $%s + %d dashboard(s) x $%s"
          % (log_groups, _fmt(in_gb), _p(ingest), _fmt(st_gb), _p(stored), alarms, _p(alarm), dashboards, _p(dashboard)),
          {"logs.ingest_gb": ingest, "logs.stored_gb_month": stored, "alarm_month": alarm, "dashboard_month": dashboard},
          {"log_groups": log_groups, "alarms": alarms, "dashboards": dashboards})


def _secrets(b: _Bill, count: Any) -> None:
    priced = _count_and_prices(b, count, "secrets", "secret_month")
    if priced is None:
        return
    count, (price,) = priced
    b.add("secrets", "Secrets Manager", "Secrets Manager", count * price, "%d secret(s) x $%s" % (count, _p(price)),
          {"secret_month": price}, {"secrets": count})


def stack_cost(bill: Mapping[str, Any], prices: Mapping[str, Any], assumptions: Mapping[str, Any] | None = None,
               region: str | None = None) -> dict[str, Any]:
    """Price ``bill`` with the table ``prices`` of one region; see the module docstring."""
    if not isinstance(bill, dict):
        raise AnsibleFilterError("stack_cost: the bill of materials must be a dict, got %s" % type(bill).__name__)
    if not isinstance(prices, dict) or not prices:
        raise AnsibleFilterError("stack_cost: no price table for region %s; add one to roles/report/vars/main.yml" % region)
    a = dict(DEFAULT_ASSUMPTIONS)
    for key, value in (assumptions or {}).items():
        if key not in DEFAULT_ASSUMPTIONS:
            raise AnsibleFilterError("stack_cost: unknown assumption '%s' (known: %s)" % (key, ", ".join(sorted(DEFAULT_ASSUMPTIONS))))
        if value is None or value == "":
            continue
        a[key] = _num(value, "assumption %s" % key)
        if a[key] < 0:
            raise AnsibleFilterError("stack_cost: assumption %s must not be negative" % key)
    if a["hours_per_month"] == int(a["hours_per_month"]):
        a["hours_per_month"] = int(a["hours_per_month"])

    b = _Bill(prices, a, region or prices.get("region") or "this region")
    _fargate(b, bill.get("fargate"))
    _rds(b, bill.get("db_instances"))
    _cache(b, bill.get("cache_clusters"))
    _nat(b, bill.get("nat_gateways"))
    _alb(b, bill.get("load_balancers"))
    _per_gb(b, "efs", "EFS", "EFS", bill.get("file_systems"), "efs_standard_gb_month", a["efs_gb"], "file_systems", "file system(s)")
    _per_gb(b, "ecr", "ECR", "ECR", bill.get("repositories"), "ecr_gb_month", a["ecr_gb"], "repositories", "repositories")
    _cloudwatch(b, bill.get("log_groups"), bill.get("alarms"), bill.get("dashboards"))
    _secrets(b, bill.get("secrets"))

    total = sum(line["exact"] for line in b.lines)
    by_service = {}
    for line in b.lines:
        by_service[line["service"]] = by_service.get(line["service"], 0.0) + line["exact"]
    categories = []
    for cat in CATEGORY_ORDER:
        services = [svc for svc in dict(CATEGORIES)[cat] if svc in by_service]
        if not services:
            continue
        monthly = sum(by_service[svc] for svc in services)
        categories.append({
            "name": cat,
            "monthly": round(monthly, 2),
            "percent": int(round(100.0 * monthly / total)) if total else 0,
            "services": [{"name": svc, "monthly": round(by_service[svc], 2)} for svc in services],
            "lines": [line for line in b.lines if line["category"] == cat],
        })
    return {
        "region": region or prices.get("region"),
        "price_date": prices.get("date"),
        "currency": prices.get("currency", "USD"),
        "assumptions": a,
        "lines": b.lines,
        "by_service": dict((k, round(v, 2)) for k, v in by_service.items()),
        "categories": categories,
        "total": round(total, 2),
        "unpriced": b.unpriced,
    }


def _signed(value: float) -> str:
    return ("+" if value >= 0 else "-") + _money(abs(value))


def stack_cost_diff(new: Mapping[str, Any] | None, old: Mapping[str, Any] | None) -> dict[str, Any]:
    """What changes from estimate ``old`` (e.g. the live stack) to ``new`` (e.g. the inventory).

    Returns ``{changes: [{key, label, old, new, delta, text}], total_old, total_new, total_delta, text}``;
    a line that exists on one side only counts as 0 on the other. ``text`` reads like
    ``backend Fargate +$9.01/month (18.02 -> 27.03)``.
    """
    new = new or {}
    old = old or {}
    new_lines = dict((line["key"], line) for line in new.get("lines", []))
    old_lines = dict((line["key"], line) for line in old.get("lines", []))
    keys = [line["key"] for line in new.get("lines", [])] + [k for k in old_lines if k not in new_lines]
    changes = []
    for key in keys:
        n = new_lines.get(key, {}).get("exact", 0.0)
        o = old_lines.get(key, {}).get("exact", 0.0)
        delta = round(n, 2) - round(o, 2)
        if abs(delta) < 0.005:
            continue
        label = (new_lines.get(key) or old_lines.get(key))["label"]
        note = " (new)" if key not in old_lines else (" (removed)" if key not in new_lines else "")
        changes.append({
            "key": key, "label": label, "old": round(o, 2), "new": round(n, 2), "delta": round(delta, 2),
            "text": "%s %s/month%s (%s -> %s)" % (label, _signed(delta), note, _money(o), _money(n)),
        })
    total_new, total_old = new.get("total", 0.0), old.get("total", 0.0)
    total_delta = round(total_new - total_old, 2)
    return {
        "changes": changes,
        "total_old": total_old,
        "total_new": total_new,
        "total_delta": total_delta,
        "text": "total %s/month (%s -> %s)" % (_signed(total_delta), _money(total_old), _money(total_new)),
    }


class FilterModule(object):
    def filters(self) -> dict[str, Callable[..., Any]]:
        return {"stack_cost": stack_cost, "stack_cost_diff": stack_cost_diff}
