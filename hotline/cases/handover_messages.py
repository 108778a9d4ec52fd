"""The hand-over panel's interface strings, merged into `hotline.web.i18n.MESSAGES`."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "handover.title": "Hand-over to a partner organisation",
        "handover.summary": "Summary for the partner (translated into their language)",
        "handover.written_by": "Written by {name}, {when}",
        "handover.save_summary": "Save summary",
        "handover.summary_saved": "Summary saved.",
        "handover.shared": "The worker agreed to share their number (recorded by {name}, {when}).",
        "handover.not_shared": (
            "The worker has not agreed to share their number: it stays out of the hand-over."
        ),
        "handover.record_agreed": "The worker agrees to share their number",
        "handover.record_refused": "The worker does not agree (any more)",
        "handover.sharing_agreed": "Recorded: the worker agrees to share their number.",
        "handover.sharing_refused": "Recorded: the number stays out of the hand-over.",
        "handover.partner_language": "Partner's language",
        "handover.download": "Download hand-over PDF",
    },
    "ja": {
        "handover.title": "連携団体への引き継ぎ",
        "handover.summary": "連携団体向けのまとめ（先方の言語に翻訳されます）",
        "handover.written_by": "{name}、{when}",
        "handover.save_summary": "まとめを保存",
        "handover.summary_saved": "まとめを保存しました。",
        "handover.shared": "相談者は電話番号の提供に同意しています（記録: {name}、{when}）。",
        "handover.not_shared": "相談者は電話番号の提供に同意していません。引き継ぎには含めません。",
        "handover.record_agreed": "相談者が電話番号の提供に同意",
        "handover.record_refused": "相談者は同意しない（同意を取り消す）",
        "handover.sharing_agreed": "記録しました: 相談者は電話番号の提供に同意しています。",
        "handover.sharing_refused": "記録しました: 電話番号は引き継ぎに含めません。",
        "handover.partner_language": "連携団体の言語",
        "handover.download": "引き継ぎPDFをダウンロード",
    },
}
