"""`monitor demo`: a first run that shows everything, on a bundled, written stream of news."""
