"""Aviva, the direct expert: classifies the question, retrieves knowledge, writes code, checks facts."""
