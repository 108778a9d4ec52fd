"""Language packs: everything a worker hears or reads, as data under `ivr_scripts/`.

A language's pack is its row in `languages.csv` (codes, calling codes, voices, font)
and three files named by its code: `prompts/<code>.yaml` (voice prompts and poster
texts), `sms/<code>.yaml` (SMS keywords and replies) and `packs/<code>.yaml` (the other
texts: the gave-up SMS, language names, agent lines, glossary terms, script facts).
Every reader takes the folder from the settings (HOTLINE_IVR_SCRIPTS), and every
loader reports `Problem`s (file, line, entry, message), all of them at once, to
`hotline prompts check` and the start-up checks (`hotline.packs.check`).
"""
