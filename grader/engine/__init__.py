"""The trusted grading: runs the checks against the sandboxed learner and builds reports.

Importing it installs the catalogue's English wording (grader.messages.text) for the
sentences the sandbox says to learners (grader.sandbox.wording): the sandbox keeps
catalogue keys and fields, and imports nothing from the rest of grader.
"""

from grader.messages import text
from grader.sandbox.wording import set_wording

set_wording(text)
