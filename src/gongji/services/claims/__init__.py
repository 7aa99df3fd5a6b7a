"""Hand claims (手工报销 / 零星报销): care paid in full, claimed at home (domain/claims.py)."""
