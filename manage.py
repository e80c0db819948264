#!/usr/bin/env python
"""Baogong's manage.py: the same as the ``baogong`` command."""

from baogong.cli import main

if __name__ == "__main__":
    main()
