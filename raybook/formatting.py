"""Numbers as a person reads them: rounded to what matters, with their units. Every function takes what a result.json
may hold (None included) and returns text; '-' stands for a value that is missing or of the wrong kind."""

from __future__ import annotations

import math
from datetime import datetime, timezone

MISSING = "-"


def _real(value):
    """The value as a finite float, or None (bools, strings, NaN and infinities are not numbers here)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def number(value, digits=3):
    """`digits` significant digits, thousands separated, no trailing zeros: 0.99333 -> 0.993, 12345.6 -> 12,346."""
    value = _real(value)
    if value is None:
        return MISSING
    if value == 0:
        return "0"
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(value))))
    text = "{:,.{}f}".format(round(value, decimals), decimals)
    return text.rstrip("0").rstrip(".") if "." in text else text


def with_unit(value, unit, digits=3):
    text = number(value, digits)
    return text if text == MISSING else "%s %s" % (text, unit)


def percent(share):
    """A share between 0 and 1 as a percentage: 0.99333 -> 99.3 %."""
    share = _real(share)
    return MISSING if share is None else "%.1f %%" % (share * 100)


def seconds(value):
    """A duration: 4.2 s, 95 s -> 1 min 35 s, 3725 s -> 1 h 02 min."""
    value = _real(value)
    if value is None:
        return MISSING
    if value < 60:
        return with_unit(value, "s", 2 if value < 10 else 3)
    minutes, secs = divmod(round(value), 60)
    if minutes < 60:
        return "%d min %02d s" % (minutes, secs)
    return "%d h %02d min" % divmod(minutes, 60)


def gib(byte_count):
    value = _real(byte_count)
    return MISSING if value is None else with_unit(value / 2**30, "GiB")


def latency(summary):
    """{'p50': 11.92, 'p95': 17.23, 'max': 20.95} -> 'p50 11.9 ms · p95 17.2 ms · max 21 ms'."""
    if not isinstance(summary, dict):
        return MISSING
    parts = ["%s %s" % (name, with_unit(summary[name], "ms")) for name in ("p50", "p95", "max") if name in summary]
    return " · ".join(parts) or MISSING


def timestamp(text):
    """An ISO 8601 time ('2026-11-26T15:51:38Z') as '2026-11-26 15:51 UTC'; anything else as it is."""
    parsed = parse_time(text)
    return parsed.strftime("%Y-%m-%d %H:%M UTC") if parsed else (str(text) if text else MISSING)


def parse_time(text):
    """An ISO 8601 time ('2026-11-26T15:55:02Z', '2026-11-26T15:55:02.690000+00:00') in UTC, or None."""
    if not isinstance(text, str):
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(timezone.utc) if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def delta(new, old, unit="", digits=3):
    """The change from old to new, signed, with its unit and relative size: '+0.012 (+1.3 %)', '-4 s (-5.3 %)';
    '-' if either is missing."""
    new, old = _real(new), _real(old)
    if new is None or old is None:
        return MISSING
    change = new - old
    sign = "+" if change > 0 else ("±" if change == 0 else "-")
    text = sign + (with_unit(abs(change), unit, digits) if unit else number(abs(change), digits))
    if old:
        text += " (%s%.1f %%)" % ("+" if change >= 0 else "-", abs(change) / abs(old) * 100)
    return text


def label(field):
    """A result field's name as a person reads it: 'final_loss' -> 'final loss', 'rows_per_s' -> 'rows/s'."""
    return LABELS.get(field) or field.replace("_", " ")


def value(field, raw):
    """A result field's value as text, by what the field holds."""
    if field in FORMATS:
        return FORMATS[field](raw)
    if isinstance(raw, bool):
        return "yes" if raw else "no"
    if isinstance(raw, (int, float)):
        return number(raw)
    if raw is None or raw == "":
        return MISSING
    return str(raw)


# Fields whose unit the name alone does not give.
FORMATS = {
    "final_loss": number,
    "final_accuracy": percent,
    "accuracy": percent,
    "rows_per_s": lambda raw: with_unit(raw, "rows/s"),
    "seconds": seconds,
    "train_seconds": seconds,
    "duration_s": seconds,
    "latency_ms": latency,
    "memory_bytes": gib,
}

LABELS = {
    "rows_per_s": "rows/s",
    "train_seconds": "training time",
    "seconds": "time",
    "latency_ms": "latency",
    "nodes_alive": "nodes alive",
    "ray_version": "Ray",
    "matching_answers": "answers matching the model",
    "duration_s": "duration",
}
