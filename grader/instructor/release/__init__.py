"""instructor/release"""
