"""`grade release`: the student distribution (build.py), its check files with the hidden
checks taken out of their syntax trees (strip.py), and its templates/.
"""
