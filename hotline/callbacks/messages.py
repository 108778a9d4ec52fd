"""Words the callback flow speaks or sends: the agent's announcement and the SMS a
worker gets when every attempt has failed.

The SMS texts other than English were machine-drafted and are UNREVIEWED until a
native speaker signs them off; languages without a text here get the English one,
marked as such by `gave_up_sms` so the caller of it can record the fact.
"""

from __future__ import annotations

from dataclasses import dataclass

from hotline.languages import LANGUAGES

# The announcement is spoken to the agent, in English or Japanese (the agent UI
# languages). Language names in Japanese for the Japanese announcement.
JAPANESE_LANGUAGE_NAMES = {
    "ja": "日本語",
    "en": "英語",
    "vi": "ベトナム語",
    "zh": "中国語",
    "fil": "フィリピノ語",
    "id": "インドネシア語",
    "ne": "ネパール語",
    "my": "ミャンマー語",
    "km": "クメール語",
    "th": "タイ語",
    "pt": "ポルトガル語",
    "es": "スペイン語",
    "ko": "韓国語",
    "si": "シンハラ語",
    "mn": "モンゴル語",
    "bn": "ベンガル語",
    "uz": "ウズベク語",
    "ur": "ウルドゥー語",
    "ru": "ロシア語",
    "uk": "ウクライナ語",
    "fr": "フランス語",
    "hi": "ヒンディー語",
}

ANNOUNCEMENT_LANGUAGES = ("en", "ja")


@dataclass(frozen=True)
class Announcement:
    language: str  # the code of the language it is spoken in
    intro: str
    prompt: str
    no_input: str
    cancelled: str
    not_yours: str
    ended: str


def announcement(
    agent_language: str, *, case_language: str, reference: str, may_identify: bool
) -> Announcement:
    """What the agent hears on answering: language, reference digit by digit, discretion."""
    lang = agent_language if agent_language in ANNOUNCEMENT_LANGUAGES else "en"
    digits_en = ", ".join(reference)
    digits_ja = "、".join(reference)
    if lang == "ja":
        name = JAPANESE_LANGUAGE_NAMES.get(case_language, case_language)
        discretion = (
            "相談者は、ホットラインからの電話だと名乗ってよいと言っています。"
            if may_identify
            else "相談者本人と確認できるまで、ホットラインからの電話だと言わないでください。"
        )
        return Announcement(
            language="ja",
            intro=f"ホットラインの折り返し電話です。言語は{name}。ケース番号は{digits_ja}。{discretion}",
            prompt="相談者につなぐには1を押してください。",
            no_input="入力がなかったため、接続しません。",
            cancelled="接続を取り消しました。",
            not_yours="この折り返しは、もうあなたの担当ではありません。",
            ended="通話が終わりました。結果を記録してください。",
        )
    name = LANGUAGES[case_language].english_name if case_language in LANGUAGES else case_language
    discretion = (
        "The worker said you may say you are calling from the hotline."
        if may_identify
        else "Do not say you are calling from the hotline until you know you are "
        "speaking to the worker."
    )
    return Announcement(
        language="en",
        intro=f"Hotline callback. Language: {name}. Case reference: {digits_en}. {discretion}",
        prompt="Press 1 to connect to the worker.",
        no_input="No key was pressed. The worker will not be called.",
        cancelled="Cancelled. The worker will not be called.",
        not_yours="This callback is no longer yours.",
        ended="The call has ended. Please record the outcome.",
    )


# One SMS after the last failed attempt: "we could not reach you; text CALL again".
GAVE_UP_SMS = {
    "en": "We tried to call you back but could not reach you. Text CALL to this number "
    "when you want us to try again.",
    # Machine-drafted, unreviewed:
    "ja": "折り返しお電話しましたが、つながりませんでした。"
    "もう一度ご希望の場合は、この番号に CALL と送ってください。",
    "vi": "Chúng tôi đã gọi lại nhưng không liên lạc được với bạn. Hãy nhắn CALL đến số này "
    "khi bạn muốn chúng tôi gọi lại.",
    "zh": "我们回电但未能联系到您。如需我们再次致电，请向此号码发送 CALL。",
    "fil": "Sinubukan ka naming tawagan pero hindi ka namin makontak. I-text ang CALL sa "
    "numerong ito kung gusto mong tumawag kami ulit.",
    "id": "Kami mencoba menelepon Anda kembali tetapi tidak tersambung. Kirim CALL ke nomor "
    "ini jika Anda ingin kami mencoba lagi.",
    "pt": "Tentamos ligar de volta, mas não conseguimos falar com você. Envie CALL para este "
    "número quando quiser que tentemos de novo.",
    "es": "Intentamos devolverle la llamada, pero no pudimos comunicarnos. Envíe CALL a este "
    "número cuando quiera que lo intentemos de nuevo.",
    "fr": "Nous avons essayé de vous rappeler sans succès. Envoyez CALL à ce numéro quand "
    "vous voulez que nous réessayions.",
    "ko": "다시 전화를 드렸지만 연결되지 않았습니다. 다시 원하시면 이 번호로 CALL을 보내 주세요.",
    "th": "เราพยายามโทรกลับแต่ติดต่อคุณไม่ได้ ส่งข้อความ CALL มาที่เบอร์นี้เมื่อต้องการให้เราโทรอีกครั้ง",
    "ru": "Мы пытались перезвонить вам, но не дозвонились. Отправьте CALL на этот номер, "
    "когда захотите, чтобы мы попробовали снова.",
    "uk": "Ми намагалися передзвонити вам, але не додзвонилися. Надішліть CALL на цей номер, "
    "коли захочете, щоб ми спробували знову.",
}


def gave_up_sms(language: str | None) -> tuple[str, str]:
    """The SMS text for `language` and the language it is actually written in."""
    if language in GAVE_UP_SMS:
        return GAVE_UP_SMS[language], language
    return GAVE_UP_SMS["en"], "en"
