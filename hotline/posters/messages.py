"""The posters page's interface strings, merged into `hotline.web.i18n.MESSAGES`."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "nav.posters": "Posters",
        "posters.title": "Posters and wallet cards",
        "posters.explain": (
            "Print a poster or a wallet card for workers: the hotline's number, the keys that "
            "choose their language, the menu keys and the SMS keywords in their language, "
            "with Japanese and English beside. Texts marked unreviewed are machine drafts."
        ),
        "posters.language": "Language",
        "posters.keys": "Keys that choose it",
        "posters.format": "Format",
        "posters.format_a4": "A4 poster (one page)",
        "posters.format_card": "Wallet card, 85.6 × 54 mm (front and back)",
        "posters.download": "Download PDF",
        "posters.link_a4": "A4 poster",
        "posters.link_card": "wallet card",
        "posters.no_number": (
            "TWILIO_NUMBER is not set: the PDF shows a placeholder instead of the number."
        ),
    },
    "ja": {
        "nav.posters": "ポスター",
        "posters.title": "ポスターと携帯カード",
        "posters.explain": (
            "労働者向けのポスターまたは携帯カードを印刷します。ホットラインの番号、言語を選ぶキー、"
            "メニューのキー、SMSのキーワードを本人の言語で、日本語と英語を添えて載せます。"
            "未確認の文は機械による下書きです。"
        ),
        "posters.language": "言語",
        "posters.keys": "選択キー",
        "posters.format": "形式",
        "posters.format_a4": "A4ポスター（1ページ）",
        "posters.format_card": "携帯カード 85.6 × 54 mm（表と裏）",
        "posters.download": "PDFをダウンロード",
        "posters.link_a4": "A4ポスター",
        "posters.link_card": "携帯カード",
        "posters.no_number": "TWILIO_NUMBER が未設定のため、PDFの番号欄は仮表示になります。",
    },
}
