"""One scheduled run over several processes: the embedded default's way to use more than one core.

A Python process runs the Operator on one core (the GIL), however many threads it has. With `processes` > 1
the run is prepared here as usual (outbox, expired approvals, which organizations), then the organizations
are dealt out to worker processes. Each worker builds its own services over the same store (and a copy of
this process's clock, which must pickle: the real one does) and runs its share under the same run id,
`org_concurrency` at a time. Workers are spawned, not forked, so no open SQLite connection crosses into a
child. The store is safe to share: WAL mode, `BEGIN IMMEDIATE` writes and claims keep one action to one
execution across processes, as they do across threads and overlapping runs.
"""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from typing import Any

from operator_ai.orchestrator import Orchestrator, new_run_id
from operator_ai.settings import Settings
from operator_ai.wiring import Services, build_services
from schemas.records import RunSummary

log = logging.getLogger("operator.run")

# Called in each worker with its services before the run; what it returns is called after the run and
# its answer handed back (benchmarks use it to wrap connectors and count calls). Must be picklable.
WorkerSetup = Callable[[Services], Callable[[], Any]]


def run_in_processes(services: Services, org_ids: list[str] | None = None, *, processes: int,
                     dry_run: bool = False, worker_setup: WorkerSetup | None = None) -> tuple[RunSummary, list[Any]]:
    """The run, with its organizations spread over `processes` workers; also the workers' setup reports."""
    orchestrator = Orchestrator(services)
    started = services.clock()
    run_id = new_run_id(started)
    orgs, errors = orchestrator.prepare_run(org_ids, run_id)
    ids = [o.organization_id for o in orgs]
    shares = [ids[n::processes] for n in range(min(processes, len(ids)))]
    lines: list[dict[str, Any]] = []
    reports: list[Any] = []
    if shares:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=len(shares), mp_context=context) as pool:
            futures = [(share, pool.submit(_run_share, _worker_settings(services.settings), services.clock, share,
                                                   run_id, dry_run, worker_setup))
                       for share in shares]
            for share, future in futures:
                try:
                    share_lines, share_errors, report = future.result()
                except Exception as error:  # a worker died: its organizations' claims expire with their lease
                    log.exception("worker for %s failed", ", ".join(share))
                    errors += [f"{org}: worker process failed: {type(error).__name__}: {error}" for org in share]
                    continue
                lines += share_lines
                errors += share_errors
                reports.append(report)
    return orchestrator.summarize(run_id, started, orgs, lines, errors, dry_run), reports


def _worker_settings(settings: Settings) -> Settings:
    """This process loaded the samples and the user's files already; a worker loading them again could
    reset an opportunity another worker has just marked as actioned."""
    return settings.model_copy(update={"seed_samples": False, "orgs_file": None, "opportunities_file": None})


def _run_share(settings: Settings, clock: Callable[[], datetime], org_ids: list[str], run_id: str, dry_run: bool,
               worker_setup: WorkerSetup | None) -> tuple[list[dict[str, Any]], list[str], Any]:
    """In a worker: these organizations of the run."""
    services = build_services(settings, clock=clock)
    try:
        report = worker_setup(services) if worker_setup is not None else None
        wanted = set(org_ids)
        orgs = [o for o in services.state.list_orgs() if o.organization_id in wanted]
        lines, errors = Orchestrator(services).run_orgs(orgs, run_id, dry_run)
        return lines, errors, report() if report is not None else None
    finally:
        services.close()
