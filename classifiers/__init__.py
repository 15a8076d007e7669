"""Training code, written corpus and shipped model of the targeted-killing classifier."""
