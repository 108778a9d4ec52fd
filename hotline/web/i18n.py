"""The interface in English and Japanese: a message catalogue and time formatting.

Each agent reads the app in their `Agent.ui_language`; signed-out pages follow the
browser. Times are shown in Japan time, where the hotline works.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hotline.agents.models import Agent
from hotline.cases.handover_messages import MESSAGES as HANDOVER_MESSAGES
from hotline.clock import TOKYO
from hotline.db import utcnow
from hotline.directory.messages import MESSAGES as DIRECTORY_MESSAGES
from hotline.posters.messages import MESSAGES as POSTER_MESSAGES
from hotline.reports.messages import MESSAGES as REPORTS_MESSAGES
from hotline.review.messages import MESSAGES as REVIEW_MESSAGES
from hotline.web.i18n_casework import CASEWORK_MESSAGES
from hotline.web.i18n_consent import CONSENT_MESSAGES
from hotline.web.i18n_live import LIVE_MESSAGES

UI_LANGUAGES = ("en", "ja")

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "app.name": "Hotline",
        "app.skip": "Skip to main content",
        "nav.queue": "Queue",
        "nav.dashboard": "Dashboard",
        "nav.sign_out": "Sign out",
        "nav.signed_in_as": "Signed in as {name}",
        "nav.interface_language": "Interface language",
        "nav.change": "Change",
        "sign_in.title": "Sign in",
        "sign_in.name": "Name",
        "sign_in.password": "Password",
        "sign_in.submit": "Sign in",
        "sign_in.failed": "Wrong name or password.",
        "sign_in.limited": "Too many failed attempts. Wait a few minutes and try again.",
        "queue.title": "Callback queue",
        "queue.my_languages": "My languages",
        "queue.per_language": "Waiting per language",
        "queue.language": "Language",
        "queue.waiting": "Waiting",
        "queue.claimed": "Claimed",
        "queue.oldest": "Oldest waiting",
        "queue.claim_next": "Claim next callback",
        "queue.ready": "Ready to call now ({count})",
        "queue.none_ready": "Nothing to call right now.",
        "queue.quiet": "Quiet hours: nobody is called now.",
        "queue.nothing_to_claim": "There is nothing you can claim right now.",
        "queue.mine": "My claimed callback",
        "queue.none_mine": "You hold no callback.",
        "queue.lease_left": "Lease: {minutes} min left",
        "queue.open_case": "Open case {reference}",
        "queue.live_calls": "Live calls",
        "queue.available": "You are available for live calls.",
        "queue.unavailable": "You are not taking live calls.",
        "queue.make_available": "Make me available",
        "queue.make_unavailable": "Stop taking live calls",
        "queue.available_now": "You are now available for live calls.",
        "queue.unavailable_now": "You are no longer taking live calls.",
        "queue.take_live": "Take the next live caller",
        "queue.live_language": "Language queue",
        "queue.live_ringing": (
            "Your phone will ring: answer to be connected to the next {language} caller."
        ),
        "queue.live_simulated": (
            "Connected to the next {language} caller, simulated on this machine: Twilio is "
            "not configured, so no phone rings."
        ),
        "queue.live_failed": "Could not connect you to a live caller: {reason}",
        "queue.window": "Window",
        "queue.attempts": "Attempts",
        "queue.urgent": "Urgent",
        "case.title": "Case {reference}",
        "case.status": "Status",
        "case.language": "Language",
        "case.number": "Number",
        "case.opted_out": "The worker opted out of SMS (STOP): no text can be sent.",
        "case.timeline": "Messages",
        "case.no_messages": "No messages yet.",
        "case.from_worker": "From the worker",
        "case.to_worker": "To the worker",
        "case.system": "Automatic",
        "case.original": "Original",
        "case.translation": "Translation ({language})",
        "case.back_translation": "Back-translation ({language})",
        "case.segments": "{count} SMS segment(s)",
        "case.voicemails": "Voice messages",
        "case.no_voicemails": "No voice messages.",
        "case.audio": "Recording",
        "case.transcript": "Transcript",
        "case.confidence": "confidence {percent}%",
        "case.not_transcribed": "Not transcribed",
        "case.transcribing": "Transcribing…",
        "case.transcription_failed": "Transcription failed",
        "case.stt_not_configured": "Not transcribed: speech-to-text is not configured",
        "case.audio_not_fetched": "The recording has not been fetched yet.",
        "case.audio_simulated": (
            "No recording: calls are simulated on this machine (Twilio is not configured)."
        ),
        "attempt.dial_requested": "call requested",
        "attempt.calling_agent": "ringing your phone",
        "attempt.agent_answered": "you answered",
        "attempt.bridging": "connecting you to the worker",
        "attempt.completed": "call finished",
        "attempt.failed": "call failed",
        "attempt.recorded": "outcome recorded",
        "attempt.simulated": "simulated on this machine: no phone rang",
        "dial.completed": "worker answered",
        "dial.answered": "worker answered",
        "dial.busy": "worker's line busy",
        "dial.no-answer": "worker did not answer",
        "dial.failed": "could not reach the worker",
        "dial.canceled": "cancelled",
        "case.callbacks": "Callbacks",
        "case.attempts": "Attempts",
        "case.no_attempts": "No attempts yet.",
        "case.note": "Note",
        "case.delivery": "Delivery: {status}",
        "tr.pending": "translating…",
        "tr.failed": "translation failed",
        "tr.not_configured": "not translated",
        "tr.not_translated": "not translated",
        "tr.done": "machine translation",
        "tr.translated": "machine translation",
        "tr.same_language": "no translation needed",
        "discretion.title": "Before you call",
        "discretion.may_identify": "If someone else answers, you MAY say this is the hotline.",
        "discretion.must_not_identify": (
            "If someone else answers, do NOT say this is the hotline. Ask for the worker "
            "by first name only."
        ),
        "discretion.sms_allowed": "SMS to this worker: allowed.",
        "discretion.sms_not_allowed": "SMS to this worker: NOT allowed.",
        "discretion.window": "Call only in the window: {window}",
        "window.any": "any time",
        "window.morning": "morning (8–12)",
        "window.afternoon": "afternoon (12–17)",
        "window.evening": "evening (17–21)",
        "call.button": "Call the worker (rings your phone first)",
        "call.ringing": "Your phone will ring; answer to be connected to the worker.",
        "call.simulated": (
            "Calls are simulated on this machine: Twilio is not configured, so no phone rings."
        ),
        "call.simulated_started": (
            "Call attempt recorded, simulated on this machine: no phone rings "
            "(Twilio is not configured)."
        ),
        "call.claim_first": "Claim this callback from the queue to call.",
        "outcome.title": "Record the outcome",
        "outcome.field": "Outcome",
        "outcome.note": "Note (optional)",
        "outcome.submit": "Record outcome",
        "outcome.recorded": "Outcome recorded: {outcome}.",
        "outcome.reached": "Reached",
        "outcome.no_answer": "No answer",
        "outcome.busy": "Busy",
        "outcome.wrong_number": "Wrong number",
        "outcome.unsafe": "Unsafe to talk",
        "status.queued": "queued",
        "status.claimed": "claimed",
        "status.closed": "closed",
        "status.open": "open",
        "reply.title": "Reply by SMS",
        "reply.text": "Your message",
        "reply.language": "I write in",
        "reply.looks_unlike": (
            "This text does not look like {language}. Check the language you write in "
            "before sending."
        ),
        "reply.preview": "Preview translation",
        "reply.send": "Send this SMS",
        "reply.preview_title": "Preview",
        "reply.will_send": "The worker will receive ({language})",
        "reply.back": "Back-translation: what it says",
        "reply.no_back": "No back-translation available.",
        "reply.not_translated": "Not translated: the text will be sent as you wrote it.",
        "reply.same_language": "The worker reads your language: no translation needed.",
        "reply.cannot_send": "This reply cannot be sent: there is no translation to send.",
        "reply.segments": "{count} SMS segment(s)",
        "reply.sent": "SMS queued ({segments} segment(s)).",
        "reply.empty": "Write a message first.",
        "reply.too_long": "The message is too long (at most {limit} characters).",
        "dash.title": "Supervisor dashboard",
        "dash.backlog": "Backlog per language",
        "dash.oldest": "Oldest waiting",
        "dash.open_cases": "Open cases",
        "dash.done_today": "Callbacks done today",
        "dash.reached_today": "Reached today",
        "dash.reached_week": "Reached, last 7 days",
        "dash.outcomes_week": "Callback outcomes, last 7 days",
        "dash.reached": "Reached",
        "dash.other": "Not reached",
        "dash.day": "Day",
        "dash.total": "Total",
        "dash.cost": "Translation cost, last 30 days",
        "dash.characters": "Characters billed",
        "dash.requests": "Requests",
        "dash.cache_hits": "Cache hits",
        "dash.hit_rate": "Cache hit rate",
        "dash.audio": "Audio transcribed",
        "dash.estimate": "Estimated cost: US${amount} (at US${rate} per million characters)",
        "dash.nothing": "Nothing waiting.",
        "dash.delivery": "Texts and jobs that may be stuck",
        "dash.unconfirmed": "Texts with no word from Twilio",
        "dash.oldest_unconfirmed": "Oldest unconfirmed text",
        "dash.abandoned": "Jobs left by a stopped worker",
        "dash.texts_failed": "Texts not processed (hotline inbound failed)",
        "dash.texts_retrying": "Texts waiting to be processed again",
        "dash.delivery_help": (
            "A text whose sending was cut off is never sent twice: it waits for Twilio's "
            "status and is marked failed after about 15 minutes without one. A job left by a "
            "stopped worker is taken up by another within a minute."
        ),
        "dash.no_usage": "No translation usage recorded.",
        "dash.chart_backlog": "Bar chart of waiting and claimed callbacks per language",
        "dash.chart_days": "Column chart of callback outcomes per day",
        "time.never": "—",
        "time.minutes": "{n} min",
        "time.hours": "{h} h {m} min",
        "time.days": "{d} d {h} h",
        "error.title": "Error {code}",
        "error.back": "Back to the queue",
        **DIRECTORY_MESSAGES["en"],
        **REPORTS_MESSAGES["en"],
        **POSTER_MESSAGES["en"],
        **HANDOVER_MESSAGES["en"],
    },
    "ja": {
        "app.name": "ホットライン",
        "app.skip": "本文へ移動",
        "nav.queue": "キュー",
        "nav.dashboard": "ダッシュボード",
        "nav.sign_out": "サインアウト",
        "nav.signed_in_as": "{name} としてサインイン中",
        "nav.interface_language": "表示言語",
        "nav.change": "変更",
        "sign_in.title": "サインイン",
        "sign_in.name": "名前",
        "sign_in.password": "パスワード",
        "sign_in.submit": "サインイン",
        "sign_in.failed": "名前またはパスワードが違います。",
        "sign_in.limited": "失敗が多すぎます。数分待ってからもう一度お試しください。",
        "queue.title": "折り返し電話キュー",
        "queue.my_languages": "担当言語",
        "queue.per_language": "言語別の待ち件数",
        "queue.language": "言語",
        "queue.waiting": "待ち",
        "queue.claimed": "対応中",
        "queue.oldest": "最長待ち",
        "queue.claim_next": "次の折り返しを担当する",
        "queue.ready": "今すぐ電話できるもの（{count}件）",
        "queue.none_ready": "今電話できるものはありません。",
        "queue.quiet": "静穏時間帯です。今は誰にも電話しません。",
        "queue.nothing_to_claim": "今担当できるものはありません。",
        "queue.mine": "担当中の折り返し",
        "queue.none_mine": "担当中の折り返しはありません。",
        "queue.lease_left": "担当期限まで残り{minutes}分",
        "queue.open_case": "ケース {reference} を開く",
        "queue.live_calls": "ライブ通話",
        "queue.available": "ライブ通話を受けられる状態です。",
        "queue.unavailable": "ライブ通話を受けていません。",
        "queue.make_available": "受付可能にする",
        "queue.make_unavailable": "ライブ通話の受付をやめる",
        "queue.available_now": "ライブ通話を受けられる状態にしました。",
        "queue.unavailable_now": "ライブ通話の受付をやめました。",
        "queue.take_live": "次の待機中の相談者につなぐ",
        "queue.live_language": "言語のキュー",
        "queue.live_ringing": (
            "あなたの電話が鳴ります。出ると次の{language}の相談者につながります。"
        ),
        "queue.live_simulated": (
            "次の{language}の相談者への接続を記録しました（この端末での模擬通話：Twilioが未設定のため電話は鳴りません）。"
        ),
        "queue.live_failed": "ライブ通話につなげませんでした：{reason}",
        "queue.window": "時間帯",
        "queue.attempts": "試行回数",
        "queue.urgent": "緊急",
        "case.title": "ケース {reference}",
        "case.status": "状態",
        "case.language": "言語",
        "case.number": "電話番号",
        "case.opted_out": "相談者はSMSを停止しています（STOP）。送信できません。",
        "case.timeline": "メッセージ",
        "case.no_messages": "メッセージはまだありません。",
        "case.from_worker": "相談者から",
        "case.to_worker": "相談者へ",
        "case.system": "自動送信",
        "case.original": "原文",
        "case.translation": "翻訳（{language}）",
        "case.back_translation": "逆翻訳（{language}）",
        "case.segments": "SMS {count}通分",
        "case.voicemails": "留守番メッセージ",
        "case.no_voicemails": "留守番メッセージはありません。",
        "case.audio": "録音",
        "case.transcript": "文字起こし",
        "case.confidence": "信頼度 {percent}%",
        "case.not_transcribed": "文字起こしなし",
        "case.transcribing": "文字起こし中…",
        "case.transcription_failed": "文字起こしに失敗しました",
        "case.stt_not_configured": "文字起こしなし：音声認識が設定されていません",
        "case.audio_not_fetched": "録音はまだ取得されていません。",
        "case.audio_simulated": (
            "録音はありません：この端末では通話は模擬です（Twilioが設定されていません）。"
        ),
        "attempt.dial_requested": "発信を依頼済み",
        "attempt.calling_agent": "あなたの電話を呼び出し中",
        "attempt.agent_answered": "あなたが応答",
        "attempt.bridging": "相談者につないでいます",
        "attempt.completed": "通話終了",
        "attempt.failed": "発信失敗",
        "attempt.recorded": "結果を記録済み",
        "attempt.simulated": "この端末での模擬通話：電話は鳴っていません",
        "dial.completed": "相談者が応答",
        "dial.answered": "相談者が応答",
        "dial.busy": "相談者の電話が話し中",
        "dial.no-answer": "相談者が応答せず",
        "dial.failed": "相談者につながりませんでした",
        "dial.canceled": "取り消し",
        "case.callbacks": "折り返し電話",
        "case.attempts": "試行",
        "case.no_attempts": "まだ試行はありません。",
        "case.note": "メモ",
        "case.delivery": "配信状況: {status}",
        "tr.pending": "翻訳中…",
        "tr.failed": "翻訳に失敗しました",
        "tr.not_configured": "未翻訳",
        "tr.not_translated": "未翻訳",
        "tr.done": "機械翻訳",
        "tr.translated": "機械翻訳",
        "tr.same_language": "翻訳不要",
        "discretion.title": "電話の前に",
        "discretion.may_identify": "本人以外が出た場合、ホットラインと名乗ってかまいません。",
        "discretion.must_not_identify": (
            "本人以外が出た場合、ホットラインと名乗らないでください。"
            "本人を名前だけで呼び出してください。"
        ),
        "discretion.sms_allowed": "この相談者へのSMS: 可",
        "discretion.sms_not_allowed": "この相談者へのSMS: 不可",
        "discretion.window": "電話してよい時間帯: {window}",
        "window.any": "いつでも",
        "window.morning": "午前（8〜12時）",
        "window.afternoon": "午後（12〜17時）",
        "window.evening": "夕方（17〜21時）",
        "call.button": "相談者に電話する（まずあなたの電話が鳴ります）",
        "call.ringing": "あなたの電話が鳴ります。出ると相談者につながります。",
        "call.simulated": (
            "この端末では通話は模擬です。Twilioが設定されていないため、電話は鳴りません。"
        ),
        "call.simulated_started": (
            "発信を記録しました。この端末での模擬通話のため、電話は鳴りません"
            "（Twilioが設定されていません）。"
        ),
        "call.claim_first": "電話するには、キューからこの折り返しを担当してください。",
        "outcome.title": "結果を記録",
        "outcome.field": "結果",
        "outcome.note": "メモ（任意）",
        "outcome.submit": "結果を記録する",
        "outcome.recorded": "結果を記録しました: {outcome}",
        "outcome.reached": "話せた",
        "outcome.no_answer": "応答なし",
        "outcome.busy": "話し中",
        "outcome.wrong_number": "番号違い",
        "outcome.unsafe": "話せる状況ではない",
        "status.queued": "待ち",
        "status.claimed": "対応中",
        "status.closed": "完了",
        "status.open": "対応中",
        "reply.title": "SMSで返信",
        "reply.text": "メッセージ",
        "reply.language": "書く言語",
        "reply.looks_unlike": (
            "この文面は{language}には見えません。送信する前に、書いている言語を確認してください。"
        ),
        "reply.preview": "翻訳をプレビュー",
        "reply.send": "このSMSを送信",
        "reply.preview_title": "プレビュー",
        "reply.will_send": "相談者に届く文面（{language}）",
        "reply.back": "逆翻訳（意味の確認）",
        "reply.no_back": "逆翻訳はありません。",
        "reply.not_translated": "未翻訳: 書いたとおりに送信されます。",
        "reply.same_language": "相談者はあなたの言語を読めます。翻訳は不要です。",
        "reply.cannot_send": "翻訳がないため、この返信は送信できません。",
        "reply.segments": "SMS {count}通分",
        "reply.sent": "SMSを送信待ちにしました（{segments}通分）。",
        "reply.empty": "先にメッセージを書いてください。",
        "reply.too_long": "メッセージが長すぎます（最大{limit}文字）。",
        "dash.title": "管理者ダッシュボード",
        "dash.backlog": "言語別の未対応件数",
        "dash.oldest": "最長待ち",
        "dash.open_cases": "対応中のケース",
        "dash.done_today": "本日の折り返し件数",
        "dash.reached_today": "本日の通話成功率",
        "dash.reached_week": "過去7日の通話成功率",
        "dash.outcomes_week": "過去7日の折り返し結果",
        "dash.reached": "話せた",
        "dash.other": "話せなかった",
        "dash.day": "日付",
        "dash.total": "合計",
        "dash.cost": "翻訳コスト（過去30日）",
        "dash.characters": "課金文字数",
        "dash.requests": "リクエスト数",
        "dash.cache_hits": "キャッシュ利用",
        "dash.hit_rate": "キャッシュ率",
        "dash.audio": "文字起こし音声",
        "dash.estimate": "推定費用: US${amount}（100万文字あたりUS${rate}で計算）",
        "dash.nothing": "待ちはありません。",
        "dash.delivery": "止まっている可能性のあるSMSとジョブ",
        "dash.unconfirmed": "Twilioから返事のないSMS",
        "dash.oldest_unconfirmed": "最も古い未確認SMS",
        "dash.abandoned": "停止したワーカーが残したジョブ",
        "dash.texts_failed": "処理できなかったSMS（hotline inbound failed）",
        "dash.texts_retrying": "再処理を待っているSMS",
        "dash.delivery_help": (
            "送信が途中で切れたSMSは二重に送りません。Twilioからの状態通知を待ち、"
            "約15分たっても届かなければ失敗と表示します。停止したワーカーが残したジョブは"
            "1分以内に別のワーカーが引き継ぎます。"
        ),
        "dash.no_usage": "翻訳の利用記録はありません。",
        "dash.chart_backlog": "言語別の待ち・対応中の折り返し件数の棒グラフ",
        "dash.chart_days": "日別の折り返し結果の棒グラフ",
        "time.never": "—",
        "time.minutes": "{n}分",
        "time.hours": "{h}時間{m}分",
        "time.days": "{d}日{h}時間",
        "error.title": "エラー {code}",
        "error.back": "キューに戻る",
        **DIRECTORY_MESSAGES["ja"],
        **REPORTS_MESSAGES["ja"],
        **POSTER_MESSAGES["ja"],
        **HANDOVER_MESSAGES["ja"],
    },
}


for _catalogue in (CASEWORK_MESSAGES, CONSENT_MESSAGES, LIVE_MESSAGES, REVIEW_MESSAGES):
    for _lang, _messages in _catalogue.items():
        MESSAGES[_lang].update(_messages)


def ui_language(agent: Agent | None, browser_choice: str | None = None) -> str:
    """The agent's chosen interface language; signed out, what the browser prefers."""
    if agent is not None and agent.ui_language in UI_LANGUAGES:
        return agent.ui_language
    return browser_choice if browser_choice in UI_LANGUAGES else "en"


def translate(ui: str, key: str, /, **values: Any) -> str:
    """The message in interface language `ui` (else English); a missing key shows itself."""
    text = MESSAGES.get(ui, {}).get(key) or MESSAGES["en"].get(key) or key
    return text.format(**values) if values else text


def jst(value: str | dt.datetime | None) -> str:
    """A moment as Japan time, e.g. 2026-11-27 14:05 JST."""
    if value is None:
        return "—"
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(TOKYO).strftime("%Y-%m-%d %H:%M JST")


def waited(language: str, since: str | dt.datetime | None, now: dt.datetime | None = None) -> str:
    """How long ago `since` was, in the interface language."""
    if since is None:
        return translate(language, "time.never")
    if isinstance(since, str):
        since = dt.datetime.fromisoformat(since)
    if since.tzinfo is None:
        since = since.replace(tzinfo=dt.UTC)
    minutes = max(0, int(((now or utcnow()) - since).total_seconds() // 60))
    if minutes < 60:
        return translate(language, "time.minutes", n=minutes)
    hours, mins = divmod(minutes, 60)
    if hours < 48:
        return translate(language, "time.hours", h=hours, m=mins)
    days, hours = divmod(hours, 24)
    return translate(language, "time.days", d=days, h=hours)


def short_day(language: str, day: dt.date) -> str:
    return f"{day.month}/{day.day}" if language == "ja" else day.strftime("%d %b")
