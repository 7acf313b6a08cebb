"""What a backup pipeline can deliver: daily schedules, when each copy arrives, the worst data loss.

Plain data, no cdktf: the configuration rules (:mod:`tonebridge.config.recovery_rules`) compare
recovery point objectives with it, and the DR stack sizes its freshness alert from it.

A pipeline here is: a job that starts at fixed minutes of every day and needs up to ``job_minutes``;
S3 replicates within minutes; a Storage Transfer job starts at fixed minutes of every day and needs up
to ``transfer_minutes``; an artefact is in GCS once the first transfer that starts after it is complete
has finished. Data written just after one run's snapshot is first captured by the next run, so the
worst loss window ends when that next run's artefact arrives.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

DAY = 24 * 60


def _field(text: str, low: int, high: int) -> set[int]:
    values: set[int] = set()
    for part in text.split(","):
        body, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if step < 1:
            raise ValueError(f"step {step_text!r} must be at least 1")
        if body == "*":
            start, end = low, high
        elif "-" in body:
            first, last = body.split("-", 1)
            start, end = int(first), int(last)
        else:
            start = int(body)
            end = high if step_text else start
        if not (low <= start <= end <= high):
            raise ValueError(f"{part!r} is outside {low}-{high}")
        values.update(range(start, end + 1, step))
    return values


def daily_minutes(expression: str) -> list[int]:
    """Minutes of the day (UTC) at which a cron expression runs, for schedules that run every day.

    Five fields (Kubernetes CronJob) or six with seconds first (CloudNativePG's ScheduledBackup);
    minute and hour take ``*``, lists, ranges and steps; day of month, month and day of week must
    be ``*``: a schedule that skips days has no daily worst case to meet an RPO with.
    """
    fields = expression.split()
    if len(fields) == 6:
        fields = fields[1:]
    if len(fields) != 5:
        raise ValueError(f"{expression!r} is not a cron expression of five (or six) fields")
    minute, hour, *days = fields
    if any(d != "*" for d in days):
        raise ValueError(f"{expression!r} must run every day (day of month, month and day of week '*')")
    try:
        minutes, hours = _field(minute, 0, 59), _field(hour, 0, 23)
    except ValueError as exc:
        raise ValueError(f"{expression!r}: {exc}") from None
    return sorted(h * 60 + m for h in hours for m in minutes)


def every(start_minute: int, interval_minutes: int) -> list[int]:
    """Daily minutes of a job repeating every ``interval_minutes`` (a divisor of a day) from ``start_minute``."""
    if DAY % interval_minutes:
        raise ValueError(f"an interval of {interval_minutes} minutes does not divide a day")
    return sorted((start_minute + k * interval_minutes) % DAY for k in range(DAY // interval_minutes))


def clock(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


@dataclass(frozen=True)
class Delivery:
    """Worst cases of a pipeline, in minutes.

    loss_window: the most data (by age) a loss at the worst moment destroys: the RPO it can meet.
    delay: the longest time from a run's start to its artefact's arrival.
    arrival_gap: the longest time between two arrivals (what a freshness alert must tolerate).
    """

    loss_window: int
    delay: int
    arrival_gap: int


def delivery(
    runs: Sequence[int], job_minutes: int, transfers: Sequence[int] | None = None, transfer_minutes: int = 0
) -> Delivery:
    """Worst cases of runs at ``runs`` (minutes of a day) whose artefacts travel with ``transfers``
    (None: available as soon as the run is done)."""
    if not runs:
        raise ValueError("no run in a day")

    def arrival(start: int) -> int:
        ready = start + job_minutes
        if transfers is None:
            return ready
        candidates = [t + day for day in (0, DAY, 2 * DAY) for t in transfers if t + day >= ready]
        return min(candidates) + transfer_minutes

    ordered = sorted(runs)
    starts = [*ordered, ordered[0] + DAY]
    windows = [arrival(starts[i + 1]) - starts[i] for i in range(len(ordered))]
    arrivals = sorted({arrival(r) % DAY for r in ordered})
    gaps = [(arrivals[(i + 1) % len(arrivals)] - arrivals[i]) % DAY or DAY for i in range(len(arrivals))]
    return Delivery(
        loss_window=max(windows),
        delay=max(arrival(r) - r for r in ordered),
        arrival_gap=max(gaps),
    )


def duration_text(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    return f"{hours}h{rest:02d}m" if hours else f"{rest}m"
