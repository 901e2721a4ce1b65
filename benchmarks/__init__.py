"""Scripts that measure the site (make bench).

A package only so that lint-imports checks what they import.
"""
