"""The review pages' interface strings, merged into `hotline.web.i18n.MESSAGES`."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "nav.review": "Review",
        "review.title": "Language packs: review and coverage",
        "review.explain": (
            "Every text a worker hears or reads, per language and channel. Reviewers of a "
            "language check each text against the English source, listen to its recording "
            "and mark it reviewed or correct it."
        ),
        "review.my_languages": "Languages you review",
        "review.none_mine": "You review no language. An admin can make you a reviewer.",
        "review.coverage": "Coverage",
        "review.language": "Language",
        "review.voice": "Voice",
        "review.sms": "SMS",
        "review.no_voice": "No voice",
        "review.lang_title": "Review: {language}",
        "review.source": "English source",
        "review.text": "Text",
        "review.back": "Back-translation",
        "review.recording": "Recording",
        "review.status": "Status",
        "review.mark": "Mark reviewed",
        "review.save": "Save edit",
        "review.edit": "Edit",
        "review.marked": "{text} marked reviewed.",
        "review.saved": "{text} saved as a new version; it is live now.",
        "review.twilio_speaks": "Twilio speaks this text",
        "review.no_recording": "No recording",
        "review.pending": "New recording waiting for review",
        "review.last": "Last: {action} by {name}, {when}",
        "review.grant": "Make an agent a reviewer",
        "review.agent": "Agent",
        "review.granted": "{name} now reviews {language}.",
    },
    "ja": {
        "nav.review": "レビュー",
        "review.title": "言語パック: レビューと対応状況",
        "review.explain": (
            "労働者が聞く・読むすべての文言を言語・チャネル別に表示します。各言語のレビュー担当者は"
            "英語の原文と照らし合わせ、録音を聞き、レビュー済みにするか修正します。"
        ),
        "review.my_languages": "担当する言語",
        "review.none_mine": "レビュー担当の言語はありません。管理者が担当者に指定できます。",
        "review.coverage": "対応状況",
        "review.language": "言語",
        "review.voice": "音声",
        "review.sms": "SMS",
        "review.no_voice": "音声なし",
        "review.lang_title": "レビュー: {language}",
        "review.source": "英語の原文",
        "review.text": "文言",
        "review.back": "逆翻訳",
        "review.recording": "録音",
        "review.status": "状態",
        "review.mark": "レビュー済みにする",
        "review.save": "修正を保存",
        "review.edit": "修正",
        "review.marked": "{text} をレビュー済みにしました。",
        "review.saved": "{text} を新しい版として保存しました。すでに使われています。",
        "review.twilio_speaks": "Twilio が読み上げます",
        "review.no_recording": "録音なし",
        "review.pending": "レビュー待ちの新しい録音",
        "review.last": "最終: {name} が{action} ({when})",
        "review.grant": "エージェントをレビュー担当にする",
        "review.agent": "エージェント",
        "review.granted": "{name} が {language} のレビュー担当になりました。",
    },
}
