"""Baogong (保供): emergency supply-assurance platform."""
