"""Every table of the hotline, imported in one place for Alembic and the tests.

Each domain owns its models; this module only gathers them onto `Base.metadata`.
"""

from hotline.agents.models import Agent
from hotline.audit import AuditEvent
from hotline.callbacks.models import CallbackAttempt, CallbackRequest
from hotline.callers.models import Caller, ConsentEntry, PrivacyNotice
from hotline.cases.models import Case, CaseEvent, CaseRead, CaseTopic, Referral
from hotline.db import Base
from hotline.directory.models import Organisation
from hotline.encryption.models import DataKeyRecord
from hotline.jobs.models import OutboxJob
from hotline.preflight import KeyCheck
from hotline.reports import models as _report_indexes  # noqa: F401
from hotline.review.models import PromptReviewer, PromptVersion
from hotline.sms.models import OptOutEvent, SmsConversation, SmsDelivery, SmsMessage
from hotline.translation.models import Translation, TranslationCacheEntry, TranslationUsage
from hotline.voice.models import Call, PromptRecording, RecorderPin, Voicemail, VoicemailAudio
from hotline.web.models import SignInFailure, WebSession
from hotline.webhooks import WebhookReceipt

metadata = Base.metadata

__all__ = [
    "Agent",
    "AuditEvent",
    "Call",
    "CallbackAttempt",
    "CallbackRequest",
    "Caller",
    "Case",
    "CaseEvent",
    "CaseRead",
    "CaseTopic",
    "ConsentEntry",
    "DataKeyRecord",
    "KeyCheck",
    "OptOutEvent",
    "Organisation",
    "OutboxJob",
    "PrivacyNotice",
    "PromptRecording",
    "PromptReviewer",
    "PromptVersion",
    "RecorderPin",
    "Referral",
    "SignInFailure",
    "SmsConversation",
    "SmsDelivery",
    "SmsMessage",
    "Translation",
    "TranslationCacheEntry",
    "TranslationUsage",
    "Voicemail",
    "VoicemailAudio",
    "WebSession",
    "WebhookReceipt",
    "metadata",
]
