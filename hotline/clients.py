"""The one place that builds clients for outside services from the settings.

Twilio: the real `twilio` REST client, pointed at TWILIO_API_URL when set (staging,
tests). Google: the real Translation v3, Speech v1 and Text-to-Speech v1 clients over REST,
pointed at GOOGLE_*_ENDPOINT when set, with anonymous credentials when an endpoint is set and no
application default credentials exist (emulators, tests).
"""

from __future__ import annotations

from typing import Any

from hotline.config import Settings

TWILIO_TIMEOUT_SECONDS = 15.0


class NotConfigured(RuntimeError):
    """The outside service this feature needs is not configured."""


def twilio_client(settings: Settings) -> Any:
    """The real Twilio REST client (module attribute `TWILIO_TIMEOUT_SECONDS` per request)."""
    if not settings.twilio_configured:
        raise NotConfigured("Twilio is not configured (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN)")
    from twilio.http.http_client import TwilioHttpClient
    from twilio.rest import Client

    client = Client(
        settings.twilio_account_sid,
        settings.twilio_auth_token,
        http_client=TwilioHttpClient(timeout=TWILIO_TIMEOUT_SECONDS),
    )
    if settings.twilio_api_url:
        client.api.base_url = settings.twilio_api_url
    return client


def _google_kwargs(settings: Settings, endpoint: str | None) -> dict[str, Any]:
    from google.api_core.client_options import ClientOptions

    kwargs: dict[str, Any] = {"transport": "rest"}
    if endpoint:
        kwargs["client_options"] = ClientOptions(api_endpoint=endpoint)
        kwargs["credentials"] = _credentials_or_anonymous()
    return kwargs


def _credentials_or_anonymous() -> Any:
    """Explicitly configured credentials (GOOGLE_APPLICATION_CREDENTIALS), else anonymous.

    With an endpoint set (an emulator, the tests' fakes) we do not go looking for
    ambient credentials: that probe would reach out to the GCE metadata server.
    """
    import os

    import google.auth
    from google.auth.credentials import AnonymousCredentials

    if os.environ.get("GOOGLE_APPLICATION_CREDENTIALS"):
        credentials, _project = google.auth.default()
        return credentials
    return AnonymousCredentials()


def translate_client(settings: Settings) -> Any:
    if not settings.google_configured:
        raise NotConfigured("Google Translate is not configured (GOOGLE_CLOUD_PROJECT)")
    from google.cloud import translate_v3

    return translate_v3.TranslationServiceClient(
        **_google_kwargs(settings, settings.google_translate_endpoint)
    )


def speech_client(settings: Settings) -> Any:
    if not settings.google_configured:
        raise NotConfigured("Google Speech-to-Text is not configured (GOOGLE_CLOUD_PROJECT)")
    from google.cloud import speech_v1

    return speech_v1.SpeechClient(**_google_kwargs(settings, settings.google_speech_endpoint))


def tts_client(settings: Settings) -> Any:
    if not settings.google_configured:
        raise NotConfigured("Google Text-to-Speech is not configured (GOOGLE_CLOUD_PROJECT)")
    from google.cloud import texttospeech_v1

    return texttospeech_v1.TextToSpeechClient(
        **_google_kwargs(settings, settings.google_tts_endpoint)
    )
