"""The language pipeline's fixtures (fake Twilio and Google at the network edge), shared
with the encryption tests, which store what that pipeline produces."""

from tests.translation.conftest import google_settings, pipeline_runtime

__all__ = ["google_settings", "pipeline_runtime"]
