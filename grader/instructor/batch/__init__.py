"""`grade batch`: read each student's submission (submissions.py), grade it in a job of
its own (job.py), keep its StudentRecord (record.py), and write the class files
(export.py: gradebook, JUnit, Gradescope; html.py: the pages; summary.py: the terminal).
"""
