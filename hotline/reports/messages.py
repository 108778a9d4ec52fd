"""The reports page's interface strings, merged into `hotline.web.i18n.MESSAGES`."""

from __future__ import annotations

from hotline.cases.models import CASE_OUTCOMES

_OUTCOMES_EN = {
    "resolved": "Resolved",
    "referred": "Referred",
    "no_contact": "No contact",
    "withdrawn": "Withdrawn",
    "out_of_scope": "Out of scope",
}
_OUTCOMES_JA = {
    "resolved": "解決",
    "referred": "紹介",
    "no_contact": "連絡取れず",
    "withdrawn": "取り下げ",
    "out_of_scope": "対象外",
}
_KINDS_EN = {
    "labour_inspection": "Labour standards inspection office",
    "labour_bureau": "Prefectural labour bureau",
    "helpline": "Government helpline",
    "otit": "OTIT",
    "legal_aid": "Legal aid",
    "embassy": "Embassy or consulate",
    "union": "Union",
    "ngo": "NGO",
    "shelter": "Shelter",
    "medical_interpretation": "Medical interpretation",
}
_KINDS_JA = {
    "labour_inspection": "労働基準監督署",
    "labour_bureau": "都道府県労働局",
    "helpline": "公的相談窓口",
    "otit": "外国人技能実習機構",
    "legal_aid": "法テラス・法律相談",
    "embassy": "大使館・領事館",
    "union": "労働組合",
    "ngo": "NGO",
    "shelter": "シェルター",
    "medical_interpretation": "医療通訳",
}

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "nav.reports": "Reports",
        "reports.title": "Reports",
        "reports.period": "Period",
        "reports.from": "From",
        "reports.to": "To",
        "reports.show": "Show",
        "reports.csv": "Download CSV (anonymised, one row per case)",
        "reports.explain": (
            "Cases opened in the period (Japan dates, both included). The CSV has no phone "
            "number, name, message, transcript, note or case reference."
        ),
        "reports.cases": "Cases",
        "reports.median": "First answer, median",
        "reports.p90": "First answer, 90th percentile",
        "reports.reach": "Callbacks reached ({reached} of {closed} closed)",
        "reports.by_language": "Language",
        "reports.by_channel": "Channel",
        "reports.by_topic": "Topic",
        "reports.by_outcome": "Outcome (closed cases)",
        "reports.by_referral_kind": "Referred to",
        "reports.none": "None in this period.",
        "reports.channel.call": "Call",
        "reports.channel.sms": "SMS",
        "reports.channel.voicemail": "Voicemail",
        **{f"reports.outcome.{code}": _OUTCOMES_EN[code] for code in CASE_OUTCOMES},
        **{f"reports.kind.{code}": label for code, label in _KINDS_EN.items()},
    },
    "ja": {
        "nav.reports": "レポート",
        "reports.title": "レポート",
        "reports.period": "期間",
        "reports.from": "開始日",
        "reports.to": "終了日",
        "reports.show": "表示",
        "reports.csv": "CSVをダウンロード（匿名化、1事案1行）",
        "reports.explain": (
            "期間内に受け付けた事案（日本の日付、両端を含む）。CSVには電話番号、氏名、"
            "メッセージ、文字起こし、メモ、事案番号は含まれません。"
        ),
        "reports.cases": "事案数",
        "reports.median": "初回対応（中央値）",
        "reports.p90": "初回対応（90パーセンタイル）",
        "reports.reach": "折り返し電話の到達率（終了{closed}件中{reached}件）",
        "reports.by_language": "言語",
        "reports.by_channel": "連絡手段",
        "reports.by_topic": "相談内容",
        "reports.by_outcome": "結果（終了した事案）",
        "reports.by_referral_kind": "紹介先",
        "reports.none": "この期間にはありません。",
        "reports.channel.call": "電話",
        "reports.channel.sms": "SMS",
        "reports.channel.voicemail": "留守番電話",
        **{f"reports.outcome.{code}": _OUTCOMES_JA[code] for code in CASE_OUTCOMES},
        **{f"reports.kind.{code}": label for code, label in _KINDS_JA.items()},
    },
}
