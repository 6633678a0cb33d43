"""The checks: one test_exNN_*.py file of hidden and public checks per exercise, their
fixtures (conftest.py), and the toolkit they are written with (checking.py, mistakes.py,
strategies.py, geometry.py). See README.md here, and its "Adding an exercise".
"""
