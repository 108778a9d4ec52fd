"""DESIGN.md: "Without Google configured the product still runs: texts are shown
untranslated and marked so, voicemails are marked untranscribed. Nothing is ever
presented as a translation that is not one." """

from __future__ import annotations

import secrets
from typing import Any

import pytest

from tests.acceptance.conftest import Edge
from tests.acceptance.outsider import Deployment, make_wav, sms_reply, wait_for
from tests.acceptance.voice_engine import TwilioCall

pytestmark = pytest.mark.slow  # starts the deployment's servers

TEXT = "Công ty không trả lương cho tôi ba tháng."


def test_without_google_texts_and_replies_are_marked_untranslated(
    hotline_without_google: Deployment, edge: Edge
) -> None:
    hotline = hotline_without_google
    agent = hotline.add_agent("Vy", "vi,en", "+819000011001")
    api = hotline.api(agent)
    sender = "+819000011101"
    sent_to_google = len(edge.translate.requests)
    assert len(sms_reply(hotline.sms(sender, TEXT))) == 1
    case_id = api.get("/api/cases").json()[0]["id"]

    def marked() -> list[dict[str, Any]] | None:
        message = api.get(f"/api/cases/{case_id}").json()["messages"][0]
        settled = [t for t in message["translations"] if t["status"] != "pending"]
        return settled if settled and len(settled) == len(message["translations"]) else None

    translations = wait_for(marked, what="the text marked untranslated")
    assert {t["status"] for t in translations} == {"not_configured"}, translations
    assert all(not t.get("text") for t in translations), translations

    reply = api.post(f"/api/cases/{case_id}/reply", {"text": "We will call you tomorrow morning."})
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["sent_text"] == "We will call you tomorrow morning."
    assert body["translated_text"] is None
    assert not body["back_translation"]
    assert body["translation_status"] != "translated"
    # After the acknowledgement of the worker's text, which went out the same way.
    sms = wait_for(lambda: edge.twilio.sms_to(sender)[1:], what="the reply as written")
    assert sms[0]["Body"] == "We will call you tomorrow morning."
    assert len(edge.translate.requests) == sent_to_google, "nothing may reach Google"


def test_without_google_a_voicemail_is_kept_and_marked_untranscribed(
    hotline_without_google: Deployment, edge: Edge
) -> None:
    hotline = hotline_without_google
    agent = hotline.add_agent("Binh", "vi", "+819000011002")
    api = hotline.api(agent)
    before = {c["id"] for c in api.get("/api/cases").json()}
    audio = make_wav(seconds=3.0, frequency=330.0)
    sid = "RE" + secrets.token_hex(16)
    url = edge.twilio.add_recording(sid, audio)

    call = TwilioCall(hotline, "+819000011201")
    call.start()
    call.press("84", finished_on_key="#")
    prompt = call.press("3")
    record = prompt.verbs("Record")[0]
    call.fetch(
        prompt.absolute(record.get("action")),
        RecordingUrl=url,
        RecordingSid=sid,
        RecordingDuration="3",
        Digits="#",
    )
    call.hang_up()
    fresh = wait_for(lambda: {c["id"] for c in api.get("/api/cases").json()} - before)
    case_id = fresh.pop()

    def settled() -> dict[str, Any] | None:
        voicemails = api.get(f"/api/cases/{case_id}").json()["voicemails"]
        if voicemails and voicemails[0]["transcription_status"] != "pending":
            return dict(voicemails[0])
        return None

    voicemail = wait_for(settled, what="the voicemail marked untranscribed")
    assert voicemail["transcription_status"] == "not_configured", voicemail
    assert not voicemail["transcript"]
    assert all(t["status"] != "done" for t in voicemail["translations"])
    assert not [r for r in edge.speech.requests if r["audio"] == audio]
