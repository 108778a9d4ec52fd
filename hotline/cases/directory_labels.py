"""What each kind of organisation in the referral directory is called, in the
interface's languages."""

from __future__ import annotations

KIND_LABELS: dict[str, dict[str, str]] = {
    "labour_inspection": {"en": "Labour Standards Inspection Office", "ja": "労働基準監督署"},
    "labour_bureau": {"en": "Prefectural Labour Bureau", "ja": "都道府県労働局"},
    "helpline": {"en": "Government helpline", "ja": "公的相談窓口"},
    "otit": {"en": "OTIT (technical intern training)", "ja": "外国人技能実習機構"},
    "legal_aid": {"en": "Legal aid", "ja": "法律相談"},
    "embassy": {"en": "Embassy or consulate", "ja": "大使館・領事館"},
    "union": {"en": "Union", "ja": "労働組合"},
    "ngo": {"en": "NGO", "ja": "NGO・支援団体"},
    "shelter": {"en": "Shelter", "ja": "シェルター"},
    "medical_interpretation": {"en": "Medical interpretation", "ja": "医療通訳"},
}
