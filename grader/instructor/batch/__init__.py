"""instructor/batch"""
