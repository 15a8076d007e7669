"""Helper commands for maintaining the hand-written training corpus (not used at run time)."""
