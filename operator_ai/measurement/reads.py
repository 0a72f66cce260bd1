"""Metric reads for a run: every request of an organization, one `read_metrics` call per account.

A connector without the `MetricReader` port answers "not measurable"; a failed call leaves its requests
unanswered (the checkpoints wait for the next run) and says why.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime

from connectors.base import MetricReader, PlatformConnector, PlatformError
from schemas.common import Platform
from schemas.metrics import MetricReading, MetricRequest, not_measurable

log = logging.getLogger("operator.measure")

Answer = MetricReading | str  # a reading, or why the read failed


def read_all(connectors: Mapping[Platform, PlatformConnector], requests: list[MetricRequest],
             now: datetime) -> dict[str, Answer]:
    groups: dict[tuple[Platform, str], list[MetricRequest]] = defaultdict(list)
    for request in requests:
        groups[(request.platform, request.account_id)].append(request)
    answers: dict[str, Answer] = {}
    for (platform, account), members in groups.items():
        connector = connectors.get(platform)
        if connector is None or not isinstance(connector, MetricReader):
            reason = f"the {platform.value} connector cannot read metrics"
            answers.update({r.key: not_measurable(r.key, now, reason) for r in members})
            continue
        try:
            found = connector.read_metrics(account, members, now)
        except PlatformError as error:
            log.warning("metric read failed for %s:%s: %s", platform.value, account, error.message)
            answers.update({r.key: f"metric read failed: {error.message}" for r in members})
            continue
        for request in members:
            answers[request.key] = found.get(request.key) or f"the platform answered nothing for {request.key}"
    return answers
