"""Workers who call or text the hotline, known only by an encrypted number."""
