"""The SMS channel: keywords, opt-outs, free text to advisers, outbound sends."""
