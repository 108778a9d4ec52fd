"""Printable posters and wallet cards: how workers find the hotline (`hotline poster`,
the supervisors' `/posters` page)."""
