"""RQ entry points. Thin on purpose: take ids, call the worker-side service.

Enqueued by `gallery.services.queue` by its dotted path, "stylizer.jobs.run_stylization",
with a job id derived from the row (`Stylization.job_id`).
"""

from stylizer.run import stylization_run


def run_stylization(*, stylization_id: str, attempt: int) -> None:
    stylization_run(stylization_id=stylization_id, attempt=attempt)
