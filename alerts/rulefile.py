"""Rules as code: alert rules to and from YAML (`export_rules`, `import_rules`).

A file holds `rules:`, a list of mappings with the API's rule fields; channels are named, never
embedded (their targets are secrets). Import validates every rule with the API's serializer
first and changes nothing unless all are sound; it is idempotent (a rule is matched by name).
"""

from dataclasses import dataclass, field

import yaml
from django.db import transaction

from alerts.models import AlertRule, NotificationChannel
from alerts.serializers import AlertRuleSerializer

FIELDS = [f for f in AlertRuleSerializer.Meta.fields if f not in ("id", "created_at", "updated_at")]
HEADER = "# Alert rules (manage.py export_rules / import_rules). Channels are referred to by name.\n"


class RuleFileError(Exception):
    """The file cannot be imported; `errors` lists each problem with its rule name and field."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


def as_dict(rule: AlertRule, channel_names: list[str] | None = None) -> dict:
    """A rule's fields as they go into the file (floats stay floats, channels by name)."""
    values = {}
    for name in FIELDS:
        if name == "channels":
            names = channel_names if channel_names is not None else [c.name for c in rule.channels.all()]
            values[name] = sorted(names)
        else:
            value = getattr(rule, name)
            values[name] = float(value) if name.endswith("_threshold") and value is not None else value
    return values


def export() -> str:
    rules = AlertRule.objects.order_by("name").prefetch_related("channels")
    return HEADER + yaml.safe_dump(
        {"rules": [as_dict(rule) for rule in rules]}, sort_keys=False, allow_unicode=True, width=120
    )


@dataclass
class Plan:
    create: list[str] = field(default_factory=list)
    update: list[tuple[str, list[str]]] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    delete: list[str] = field(default_factory=list)
    saves: list = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"create {name}" for name in self.create]
        out += [f"update {name}: {', '.join(fields)}" for name, fields in self.update]
        out += [f"delete {name}" for name in self.delete]
        summary = f"{len(self.create)} to create, {len(self.update)} to update, {len(self.unchanged)} unchanged"
        return [*out, summary + f", {len(self.delete)} to delete"]


def load(text: str) -> list[dict]:
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RuleFileError([f"not valid YAML: {exc}"]) from None
    if not isinstance(document, dict) or not isinstance(document.get("rules"), list):
        raise RuleFileError(["expected a mapping with a 'rules' list at the top"])
    return document["rules"]


def plan(items: list, prune: bool = False) -> Plan:
    """Validate every rule and work out what importing would change; raise RuleFileError."""
    errors: list[str] = []
    result = Plan()
    channels = {c.name: c.pk for c in NotificationChannel.objects.all()}
    existing = {r.name: r for r in AlertRule.objects.prefetch_related("channels")}
    seen: set[str] = set()
    for position, item in enumerate(items, 1):
        label = f"rule {position}"
        if not isinstance(item, dict):
            errors.append(f"{label}: expected a mapping of rule fields")
            continue
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            errors.append(f"{label}: name: required, a non-empty string")
            continue
        label = f"rule {name!r}"
        if name in seen:
            errors.append(f"{label}: name: appears twice in the file")
            continue
        seen.add(name)
        unknown = sorted(set(item) - set(FIELDS))
        if unknown:
            errors.append(f"{label}: {unknown[0]}: unknown field (use {', '.join(FIELDS)})")
            continue
        data = dict(item)
        names = data.get("channels") or []
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            errors.append(f"{label}: channels: expected a list of channel names")
            continue
        missing = [n for n in names if n not in channels]
        if missing:
            errors.append(f"{label}: channels: no channel named {missing[0]!r}")
            continue
        data["channels"] = [channels[n] for n in names]
        rule = existing.get(name)
        serializer = AlertRuleSerializer(instance=rule, data=data)
        if not serializer.is_valid():
            for field_name, messages in serializer.errors.items():
                errors.append(f"{label}: {field_name}: {' '.join(str(m) for m in messages)}")
            continue
        _plan_one(result, rule, serializer, names)
    if errors:
        raise RuleFileError(errors)
    if prune:
        result.delete = sorted(set(existing) - seen)
    return result


def _plan_one(result: Plan, rule: AlertRule | None, serializer, channel_names: list[str]) -> None:
    """New rules start from the model defaults, existing ones from their stored values."""
    base = rule or AlertRule()
    desired = AlertRule(**{f.attname: getattr(base, f.attname) for f in AlertRule._meta.concrete_fields})
    for name, value in serializer.validated_data.items():
        if name != "channels":
            setattr(desired, name, value)
    if rule is not None and "channels" not in serializer.validated_data:
        channel_names = [c.name for c in rule.channels.all()]
    after = as_dict(desired, channel_names)
    if rule is None:
        result.create.append(after["name"])
    else:
        before = as_dict(rule)
        changed = [name for name in FIELDS if before[name] != after[name]]
        if not changed:
            result.unchanged.append(rule.name)
            return
        result.update.append((rule.name, changed))
    result.saves.append(serializer)


def apply(result: Plan) -> None:
    with transaction.atomic():
        for serializer in result.saves:
            serializer.save()
        AlertRule.objects.filter(name__in=result.delete).delete()
