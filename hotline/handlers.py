"""Imports every module that registers job handlers, so a worker knows them all."""

from hotline.sms import jobs as sms_jobs  # noqa: F401
