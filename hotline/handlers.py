"""Every job handler and periodic task, registered explicitly at start-up.

The web app (`create_app`) and the worker (`run_worker`) call `register_handlers` once,
so both know every job by the name its module exports (`SEND_JOB`, `TRANSLATE_SMS_JOB`,
...): `defer` refuses a name nobody registered, and the worker runs every handler.
"""

from __future__ import annotations

from hotline import maintenance
from hotline.callbacks import jobs as callbacks_jobs
from hotline.jobs import JobRegistry
from hotline.privacy import retention
from hotline.sms import jobs as sms_jobs
from hotline.translation import jobs as translation_jobs
from hotline.translation import voicemail_jobs
from hotline.voice import jobs as voice_jobs


def register_handlers(registry: JobRegistry) -> None:
    """Add every domain's jobs and periodic tasks to `registry`."""
    for module in (
        sms_jobs,
        translation_jobs,
        voicemail_jobs,
        voice_jobs,
        callbacks_jobs,
        retention,
        maintenance,
    ):
        module.register(registry)
