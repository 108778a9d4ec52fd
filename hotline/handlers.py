"""Imports every module that registers job handlers, so a worker knows them all."""

from hotline.jobs import job  # noqa: F401  (handlers register with this decorator)
