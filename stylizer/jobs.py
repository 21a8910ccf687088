"""RQ entry points. Thin on purpose: take ids, call a service; the service does the work.

Enqueued by `gallery.services` as "stylizer.jobs.run_stylization" with a job id derived
from the row (`Stylization.job_id`).
"""

from gallery import services


def run_stylization(*, stylization_id: str, attempt: int) -> None:
    services.stylization_run(stylization_id=stylization_id, attempt=attempt)
