"""Native-speaker review of the language packs: reviewers per language, text versions
over the pack files, coverage, export back to the files (see docs/review.md)."""
