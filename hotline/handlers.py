"""Imports every module that registers job handlers, so a worker knows them all."""

from hotline import maintenance  # noqa: F401
from hotline.callbacks import jobs as callbacks_jobs  # noqa: F401
from hotline.privacy import retention  # noqa: F401
from hotline.sms import jobs as sms_jobs  # noqa: F401
from hotline.translation import jobs as translation_jobs  # noqa: F401
from hotline.voice import jobs as voice_jobs  # noqa: F401
