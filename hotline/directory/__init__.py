"""The referral directory: organisations that give remedy, as data supervisors maintain."""
