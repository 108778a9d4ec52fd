"""The labour and immigration glossary, applied the same way in every translation.

Machine translation renders these terms inconsistently (技能実習生 comes back as
"technical intern", "skill trainee", "apprentice" ...), and for a worker the difference
matters: it names their visa and the office that can help. Google's own glossary
feature needs a glossary resource created in a Cloud Storage bucket per language pair;
instead each term found in the source text is sent as an untranslatable placeholder
and the target language's term is put in its place afterwards (see `redaction`). The
result is the same wording every time, it works with any language pair, and tests can
prove it here.

Terms other than English and Japanese are drafts until a native speaker has reviewed
them (`reviewed`), like every machine-drafted text in the hotline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Term:
    key: str
    # language -> forms; the first is what translations use, all are recognised
    forms: dict[str, tuple[str, ...]]
    reviewed: frozenset[str] = frozenset({"en", "ja"})

    def target(self, language: str) -> str | None:
        forms = self.forms.get(language)
        return forms[0] if forms else None


TERMS: tuple[Term, ...] = (
    Term(
        "technical_intern_trainee",
        {
            "en": (
                "technical intern trainee",
                "technical intern trainees",
                "technical intern",
                "technical interns",
            ),
            "ja": ("技能実習生",),
            "vi": ("thực tập sinh kỹ năng", "thực tập sinh"),
            "zh": ("技能实习生",),
            "id": ("peserta pemagangan teknis", "pemagang teknis"),
            "fil": ("technical intern trainee",),
            "th": ("ผู้ฝึกงานด้านเทคนิค",),
        },
    ),
    Term(
        "specified_skilled_worker",
        {
            "en": ("specified skilled worker", "specified skilled workers"),
            "ja": ("特定技能",),
            "vi": ("lao động kỹ năng đặc định", "kỹ năng đặc định"),
            "zh": ("特定技能",),
            "id": ("pekerja berketerampilan spesifik",),
            "fil": ("specified skilled worker",),
            "th": ("แรงงานทักษะเฉพาะ",),
        },
    ),
    Term(
        "residence_card",
        {
            "en": ("residence card", "residence cards", "zairyu card"),
            "ja": ("在留カード",),
            "vi": ("thẻ cư trú", "thẻ ngoại kiều"),
            "zh": ("在留卡",),
            "id": ("kartu izin tinggal",),
            "fil": ("residence card",),
            "th": ("บัตรไซริว",),
        },
    ),
    Term(
        "labour_standards_inspection_office",
        {
            "en": (
                "Labour Standards Inspection Office",
                "Labor Standards Inspection Office",
                "Labour Standards Office",
                "Labor Standards Office",
            ),
            "ja": ("労働基準監督署", "労基署"),
            "vi": ("Văn phòng Giám sát Tiêu chuẩn Lao động",),
            "zh": ("劳动基准监督署",),
            "id": ("Kantor Pengawas Standar Ketenagakerjaan",),
            "fil": ("Labour Standards Inspection Office",),
            "th": ("สำนักงานตรวจมาตรฐานแรงงาน",),
        },
    ),
    Term(
        "unpaid_wages",
        {
            "en": ("unpaid wages", "unpaid wage", "unpaid salary"),
            "ja": ("賃金未払い", "未払い賃金", "給料未払い"),
            "vi": ("tiền lương chưa được trả", "nợ lương"),
            "zh": ("拖欠工资",),
            "id": ("upah yang tidak dibayar",),
            "fil": ("hindi nabayarang sahod",),
            "th": ("ค่าจ้างค้างจ่าย",),
        },
    ),
    Term(
        "supervising_organisation",
        {
            "en": (
                "supervising organisation",
                "supervising organization",
                "supervising organisations",
                "supervising organizations",
            ),
            "ja": ("監理団体",),
            "vi": ("nghiệp đoàn", "tổ chức giám sát"),
            "zh": ("监理团体",),
            "id": ("organisasi pengawas",),
            "fil": ("supervising organisation",),
            "th": ("องค์กรกำกับดูแล",),
        },
    ),
    Term(
        "immigration_services_agency",
        {
            "en": ("Immigration Services Agency", "Immigration Services Agency of Japan"),
            "ja": ("出入国在留管理庁", "入管"),
            "vi": ("Cục Quản lý Xuất nhập cảnh và Lưu trú",),
            "zh": ("出入国在留管理厅",),
            "id": ("Badan Layanan Imigrasi",),
            "fil": ("Immigration Services Agency",),
            "th": ("สำนักงานตรวจคนเข้าเมือง",),
        },
    ),
)

BY_KEY: dict[str, Term] = {term.key: term for term in TERMS}

# Scripts without spaces between words: a term may sit inside a longer run of letters.
_NO_WORD_BOUNDARIES = frozenset({"ja", "zh", "th", "my", "km"})


@dataclass(frozen=True)
class Match:
    start: int
    end: int
    term: Term


@lru_cache(maxsize=64)
def _pattern(source: str, target: str) -> tuple[re.Pattern[str], dict[str, Term]] | None:
    """One regex for every source form of the terms that the target language also has."""
    by_form: dict[str, Term] = {}
    for term in TERMS:
        if term.target(target) is None:
            continue
        for form in term.forms.get(source, ()):
            by_form.setdefault(form.casefold(), term)
    if not by_form:
        return None
    alternatives = "|".join(re.escape(f) for f in sorted(by_form, key=len, reverse=True))
    if source in _NO_WORD_BOUNDARIES:
        pattern = f"(?:{alternatives})"
    else:
        pattern = rf"(?<!\w)(?:{alternatives})(?!\w)"
    return re.compile(pattern, re.IGNORECASE), by_form


def find_terms(text: str, source: str, target: str) -> list[Match]:
    """Glossary terms in `text` (written in `source`) that have a `target` rendering."""
    if source == target:
        return []
    compiled = _pattern(source, target)
    if compiled is None:
        return []
    regex, by_form = compiled
    matches = []
    for m in regex.finditer(text):
        term = by_form.get(m.group(0).casefold())
        if term is not None:
            matches.append(Match(m.start(), m.end(), term))
    return matches
